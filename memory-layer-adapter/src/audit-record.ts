// What one audit_events row is, and exactly which bytes its hash covers.
import { createHash } from "node:crypto";
import { canonicalize, type SignatureAlg } from "@signing-proxy/client-sdk";

/** The prev_hash of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/** One audit_events row, as insertAuditEvent returns it and the verifiers read it. */
export interface AuditEventRow {
  /** The row id (identity column); ascending along the chain, with gaps where a transaction rolled back. */
  readonly id: number;
  readonly eventType: string;
  /** The event's JSON payload (stored as jsonb). */
  readonly payload: unknown;
  /** Lowercase hex SHA-256 of the canonical record (see {@link hashedRecord}). */
  readonly hash: string;
  /** The previous row's hash; GENESIS_HASH for the first row. */
  readonly prevHash: string;
  /** Base64 signature by the signing proxy over the 32 bytes of `hash` (DESIGN.md A4). */
  readonly signature: string;
  readonly signerKid: string;
  readonly alg: SignatureAlg;
  readonly manifestSignatureId: string | null;
  /** RFC 3339 UTC time with milliseconds, e.g. `2025-01-31T12:00:00.000Z`. */
  readonly createdAt: string;
}

/** The fields of a row that its hash covers. */
export type HashedFields = Pick<
  AuditEventRow,
  "eventType" | "payload" | "prevHash" | "createdAt" | "manifestSignatureId"
>;

/**
 * The record that is canonicalized (RFC 8785) and hashed — exactly these five members:
 * `{"createdAt","eventType","manifestSignatureId","payload","prevHash"}`. `id` is not covered
 * (it is assigned by the INSERT); order is covered by `prevHash`; `signer_kid` and `alg` are
 * covered by the signature check (another key or alg does not verify).
 */
export function hashedRecord(fields: HashedFields): Record<string, unknown> {
  return {
    eventType: fields.eventType,
    payload: fields.payload,
    prevHash: fields.prevHash,
    createdAt: fields.createdAt,
    manifestSignatureId: fields.manifestSignatureId,
  };
}

/** The canonical UTF-8 text of {@link hashedRecord}; throws CanonicalizationError for a payload without one. */
export function canonicalRecord(fields: HashedFields): string {
  // Payloads up to 4 MiB canonical and 64 levels deep; anything larger belongs in blob storage.
  return canonicalize(hashedRecord(fields), { maxBytes: 4 * 1024 * 1024, maxDepth: 64 });
}

/** Lowercase hex SHA-256 of {@link canonicalRecord}: the digest the proxy signs. */
export function recordHash(fields: HashedFields): string {
  return createHash("sha256").update(canonicalRecord(fields), "utf8").digest("hex");
}

/** True when a string anywhere in `value` (keys included) holds U+0000, which PostgreSQL text and jsonb refuse. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v, depth + 1));
}
