import { createHash } from "node:crypto";
import { CanonicalizationError, canonicalBytes } from "@signing-proxy/client-sdk";
import type { FastifyInstance } from "fastify";
import { SignerError } from "../errors.js";
import { principalOf } from "../http/authenticate.js";
import type { SignService } from "../signing/sign-service.js";
import {
  contextSchema,
  digestHexSchema,
  errorEnvelopeSchema,
  errorResponses,
  kidSchema,
  signResultSchema,
} from "./schemas.js";

/** Options of the signing routes. */
export interface SignRoutesOptions {
  readonly signer: SignService;
  readonly batchMaxItems: number;
  readonly canonicalMaxBytes: number;
  readonly canonicalMaxDepth: number;
}

interface HashBody {
  digestHex: string;
  kid?: string;
  context?: Record<string, unknown>;
}

interface CanonicalBody {
  payload: unknown;
  kid?: string;
  context?: Record<string, unknown>;
}

interface BatchBody {
  items: Array<{ digestHex: string; kid?: string }>;
}

/** POST /sign/hash, /sign/canonical and /sign/batch. */
export async function signRoutes(app: FastifyInstance, opts: SignRoutesOptions): Promise<void> {
  app.post<{ Body: HashBody }>(
    "/sign/hash",
    {
      schema: {
        summary: "Sign a SHA-256 digest",
        body: {
          type: "object",
          required: ["digestHex"],
          additionalProperties: false,
          properties: { digestHex: digestHexSchema, kid: kidSchema, context: contextSchema },
        },
        response: { 200: signResultSchema, ...errorResponses },
      },
    },
    async (request) =>
      opts.signer.signOne(principalOf(request), "sign:hash", "sign.hash", request.id, {
        digestHex: request.body.digestHex,
        kid: request.body.kid,
      }),
  );

  app.post<{ Body: CanonicalBody }>(
    "/sign/canonical",
    {
      schema: {
        summary: "Canonicalize a JSON payload (RFC 8785), hash it and sign the digest",
        body: {
          type: "object",
          required: ["payload"],
          additionalProperties: false,
          properties: { payload: {}, kid: kidSchema, context: contextSchema },
        },
        response: { 200: signResultSchema, ...errorResponses },
      },
    },
    async (request) => {
      const digestHex = digestOfPayload(request.body.payload, opts);
      return opts.signer.signOne(principalOf(request), "sign:canonical", "sign.canonical", request.id, {
        digestHex,
        kid: request.body.kid,
      });
    },
  );

  app.post<{ Body: BatchBody }>(
    "/sign/batch",
    {
      schema: {
        summary: "Sign up to SIGNER_BATCH_MAX digests; each item succeeds or fails on its own",
        body: {
          type: "object",
          required: ["items"],
          additionalProperties: false,
          properties: {
            items: {
              type: "array",
              minItems: 1,
              maxItems: opts.batchMaxItems,
              items: {
                type: "object",
                required: ["digestHex"],
                additionalProperties: false,
                properties: { digestHex: digestHexSchema, kid: kidSchema },
              },
            },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["results"],
            properties: {
              results: { type: "array", items: { anyOf: [signResultSchema, errorEnvelopeSchema] } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const outcomes = await opts.signer.signMany(
        principalOf(request),
        "sign:hash",
        "sign.batch",
        request.id,
        request.body.items,
      );
      return {
        results: outcomes.map((o) =>
          "error" in o
            ? { error: { code: o.error.code, message: o.error.message, requestId: request.id } }
            : o,
        ),
      };
    },
  );
}

/** digestHex of a payload's RFC 8785 bytes, with the configured size and depth limits. */
export function digestOfPayload(
  payload: unknown,
  limits: { canonicalMaxBytes: number; canonicalMaxDepth: number },
): string {
  try {
    const bytes = canonicalBytes(payload, {
      maxBytes: limits.canonicalMaxBytes,
      maxDepth: limits.canonicalMaxDepth,
    });
    return createHash("sha256").update(bytes).digest("hex");
  } catch (err) {
    if (err instanceof CanonicalizationError) {
      const code = err.reason === "too-large" ? "ERR_PAYLOAD_TOO_LARGE" : "ERR_CANONICALIZATION";
      throw new SignerError(code, err.message.slice(0, 200));
    }
    throw err;
  }
}
