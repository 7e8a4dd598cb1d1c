/** JSON Schemas shared by the routes (request AND response, so nothing undeclared leaks out). */

export const digestHexSchema = {
  type: "string",
  pattern: "^[0-9a-fA-F]{64}$",
  description: "hex SHA-256 digest (32 bytes)",
} as const;

export const kidSchema = {
  type: "string",
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z0-9._:-]+$",
} as const;

export const contextSchema = {
  type: "object",
  description: "free-form caller context, recorded in logs only",
  maxProperties: 32,
  additionalProperties: { type: ["string", "number", "boolean", "null"] },
} as const;

export const errorEnvelopeSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "requestId"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        requestId: { type: "string" },
      },
    },
  },
} as const;

export const signResultSchema = {
  type: "object",
  required: ["kid", "alg", "signature", "digestHex", "signedAt", "auditSeq", "logIndex"],
  properties: {
    kid: { type: "string" },
    alg: { type: "string" },
    signature: { type: "string", description: "base64 signature bytes (DESIGN.md A4)" },
    digestHex: { type: "string" },
    signedAt: { type: "string", format: "date-time" },
    auditSeq: { type: "integer" },
    logIndex: { type: "integer", description: "the event's leaf index in the transparency log" },
  },
} as const;

export const keyRecordSchema = {
  type: "object",
  required: ["signer_kid", "algorithm", "deployedAt", "description", "status"],
  properties: {
    signer_kid: { type: "string" },
    algorithm: { type: "string" },
    public_key_pem: { type: "string" },
    deployedAt: { type: "string" },
    description: { type: "string" },
    status: { type: "string", enum: ["active", "candidate", "retired", "revoked"] },
  },
} as const;

/** Standard error responses every main-port route can return. */
export const errorResponses = {
  400: errorEnvelopeSchema,
  401: errorEnvelopeSchema,
  403: errorEnvelopeSchema,
  404: errorEnvelopeSchema,
  409: errorEnvelopeSchema,
  413: errorEnvelopeSchema,
  415: errorEnvelopeSchema,
  429: errorEnvelopeSchema,
  500: errorEnvelopeSchema,
  503: errorEnvelopeSchema,
} as const;
