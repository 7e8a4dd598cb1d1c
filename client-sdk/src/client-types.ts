// Request and response bodies of the proxy's HTTP API (DESIGN.md A5), as the client sends and reads them.
import type { SignatureAlg } from "./verify-digest.js";

/** Key lifecycle states (DESIGN.md A5). */
export type KeyStatus = "active" | "candidate" | "retired" | "revoked";

/** Free-form caller context, recorded in the proxy's logs only (≤ 32 scalar properties). */
export type SignContext = Readonly<Record<string, string | number | boolean | null>>;

/** POST /sign/hash body. */
export interface SignHashRequest {
  /** Hex SHA-256 digest (64 characters) to sign. */
  readonly digestHex: string;
  /** Signing key; the proxy's `defaultKid` when absent. */
  readonly kid?: string;
  readonly context?: SignContext;
}

/** POST /sign/canonical body: the proxy signs the SHA-256 of the RFC 8785 bytes of `payload`. */
export interface SignCanonicalRequest {
  readonly payload: unknown;
  readonly kid?: string;
  readonly context?: SignContext;
}

/** A signature from /sign/hash, /sign/canonical or one /sign/batch item. */
export interface SignResult {
  readonly kid: string;
  readonly alg: SignatureAlg;
  /** Base64 signature bytes (DESIGN.md A4). */
  readonly signature: string;
  readonly digestHex: string;
  /** RFC 3339 time of signing. */
  readonly signedAt: string;
  /** The seq of the proxy's audit event for this signature. */
  readonly auditSeq: number;
}

/** One /sign/batch item. */
export interface SignBatchItem {
  readonly digestHex: string;
  readonly kid?: string;
}

/** The error envelope body `{"code","message","requestId"}`. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
}

/** One /sign/batch result, in request order: a signature or that item's error. */
export type SignBatchResult = SignResult | { readonly error: ErrorBody };

/** POST /verify body: a digest or a payload (canonicalized by the proxy), never both. */
export type VerifyRequest =
  | { readonly kid: string; readonly signature: string; readonly digestHex: string }
  | { readonly kid: string; readonly signature: string; readonly payload: unknown };

/** POST /verify answer; an invalid (or revoked-key) signature is `valid: false`, not an error. */
export interface VerifyResult {
  readonly valid: boolean;
  readonly kid: string;
  readonly alg: SignatureAlg;
}

/** One entry of /keys (signers.json). HMAC keys have no `public_key_pem`. */
export interface SignerEntry {
  readonly signer_kid: string;
  readonly algorithm: SignatureAlg;
  readonly public_key_pem?: string;
  readonly deployedAt: string;
  readonly description: string;
  readonly status: KeyStatus;
}

/** GET /keys body (signers.json). */
export interface SignersDocument {
  readonly signers: readonly SignerEntry[];
}

/** One JWK of /.well-known/jwks.json. */
export interface PublishedJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

/** GET /.well-known/jwks.json body: the asymmetric, non-revoked keys. */
export interface JwksDocument {
  readonly keys: readonly PublishedJwk[];
}

/** GET /audit/head: the last event (seq -1 and 64 zeros for an empty log). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** One event of the proxy's own audit log (DESIGN.md A6). */
export interface ProxyAuditEvent {
  readonly seq: number;
  readonly ts: string;
  readonly principal: string;
  readonly op: string;
  readonly kid: string | null;
  readonly alg: string | null;
  readonly digestHex: string | null;
  readonly result: string;
  readonly requestId: string;
  readonly auditKid: string;
  readonly prevHash: string;
  readonly hash: string;
  /** The seal of a group-committed batch on its last event; null on the others. */
  readonly signature: string | null;
}

/** GET /audit/events page. */
export interface AuditEventsPage {
  readonly events: readonly ProxyAuditEvent[];
  /** The seq to ask for next. */
  readonly nextSeq: number;
}

/** A multisig manifest (DESIGN.md A5); other JSON fields are allowed and signed too. */
export interface MultisigManifestInput {
  readonly type: "upgrade" | "rollback" | "key-promotion" | "key-revocation";
  readonly target: string;
  /** Must exceed the last approved version for `target`. */
  readonly version: number;
  /** RFC 3339 expiry of the proposal. */
  readonly expires: string;
  readonly rollbackTo?: number;
  readonly kid?: string;
  readonly replaces?: string;
  readonly [field: string]: unknown;
}

/** POST /multisig/proposals answer (201). */
export interface MultisigProposalCreated {
  readonly id: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly signers: readonly string[];
  readonly status: "pending";
}

/** GET /multisig/proposals/:id: the proposal with its approvals so far. */
export interface MultisigProposalView {
  readonly id: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly status: "pending" | "approved" | "expired" | "rejected";
  readonly approvals: readonly { readonly kid: string; readonly [field: string]: unknown }[];
  readonly [field: string]: unknown;
}

/** POST /multisig/proposals/:id/approvals body: without `signature` the proxy signs with `kid`. */
export interface MultisigApprovalInput {
  readonly kid: string;
  /** A detached base64 signature over the proposal's digest, made elsewhere. */
  readonly signature?: string;
}

/** GET /multisig/proposals/:id/proof answer (409 until the proposal is approved). */
export interface MultisigProofResponse {
  readonly policy: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly signatures: readonly { readonly kid: string; readonly alg: string; readonly signature: string }[];
  readonly manifest: MultisigManifestInput;
}

/** A proof as POST /multisig/verify takes it (any manifest object; the proxy checks everything). */
export type MultisigProofInput = Omit<MultisigProofResponse, "manifest"> & {
  readonly manifest: Readonly<Record<string, unknown>>;
};

/** POST /multisig/verify answer; the threshold comes from the server's policy, never the proof. */
export interface MultisigVerifyResponse {
  readonly valid: boolean;
  readonly validSignatures: number;
  readonly threshold: number;
}
