/** JSON Schemas of the multisig routes (request AND response, so nothing undeclared leaks out). */
import { kidSchema } from "../routes/schemas.js";

const digestHex = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const kids = { type: "array", items: { type: "string" } } as const;
const status = { type: "string", enum: ["pending", "approved", "expired", "rejected"] } as const;
/** Manifests are free-form JSON objects beyond their known fields (docs/multisig.md). */
const manifest = { type: "object", additionalProperties: true } as const;

/** `:id` of a proposal. */
export const proposalParamsSchema = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9-]+$" } },
} as const;

/** POST /multisig/proposals body. */
export const proposeBodySchema = {
  type: "object",
  required: ["policy", "manifest"],
  additionalProperties: false,
  properties: { policy: { type: "string", minLength: 1, maxLength: 128 }, manifest },
} as const;

/** POST /multisig/proposals answer. */
export const proposalCreatedSchema = {
  type: "object",
  required: ["id", "digestHex", "threshold", "signers", "status"],
  properties: {
    id: { type: "string" },
    digestHex,
    threshold: { type: "integer" },
    signers: kids,
    status: { type: "string", enum: ["pending"] },
  },
} as const;

/** A proposal with its approvals (never their signatures: those travel only in the audited proof). */
export const proposalViewSchema = {
  type: "object",
  required: [
    "id",
    "policy",
    "digestHex",
    "threshold",
    "signers",
    "status",
    "manifest",
    "expires",
    "createdAt",
    "createdBy",
    "decidedAt",
    "approvals",
  ],
  properties: {
    id: { type: "string" },
    policy: { type: "string" },
    digestHex,
    threshold: { type: "integer" },
    signers: kids,
    status,
    manifest,
    expires: { type: "string" },
    createdAt: { type: "string" },
    createdBy: { type: "string" },
    decidedAt: { type: ["string", "null"] },
    approvals: {
      type: "array",
      items: {
        type: "object",
        required: ["kid", "alg", "approver", "mode", "approvedAt"],
        properties: {
          kid: { type: "string" },
          alg: { type: "string" },
          approver: { type: "string" },
          mode: { type: "string", enum: ["proxy", "detached"] },
          approvedAt: { type: "string" },
        },
      },
    },
  },
} as const;

/** POST /multisig/proposals/:id/approvals body. */
export const approveBodySchema = {
  type: "object",
  required: ["kid"],
  additionalProperties: false,
  properties: {
    kid: kidSchema,
    signature: { type: "string", minLength: 1, maxLength: 2048, description: "detached base64 signature" },
  },
} as const;

/** The frozen proof. */
export const proofSchema = {
  type: "object",
  required: ["policy", "digestHex", "threshold", "signatures", "manifest"],
  properties: {
    policy: { type: "string" },
    digestHex,
    threshold: { type: "integer" },
    signatures: {
      type: "array",
      items: {
        type: "object",
        required: ["kid", "alg", "signature"],
        properties: { kid: { type: "string" }, alg: { type: "string" }, signature: { type: "string" } },
      },
    },
    manifest,
  },
} as const;

/** POST /multisig/verify body: the proof is checked by the SDK's rules, so any object is accepted. */
export const verifyBodySchema = {
  type: "object",
  required: ["proof"],
  additionalProperties: false,
  properties: { proof: { type: "object" } },
} as const;

/** POST /multisig/verify answer. */
export const verifyResultSchema = {
  type: "object",
  required: ["valid", "validSignatures", "threshold"],
  properties: {
    valid: { type: "boolean" },
    validSignatures: { type: "integer" },
    threshold: {
      type: "integer",
      description: "the trusted policy's; 0 when no policy has the proof's name",
    },
  },
} as const;
