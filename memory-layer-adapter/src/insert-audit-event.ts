import { type AuditEventRow, containsNul, recordHash } from "./audit-record.js";
import { type AuditSigner, chainWriter } from "./chain-writer.js";
import { type CounterLike, signFailures } from "./metrics.js";
import type { PgPoolOrClient } from "./pg-types.js";

export { AuditSignError, type AuditSigner } from "./chain-writer.js";

/** What the caller records. */
export interface AuditEventInput {
  /** 1–256 characters, e.g. `memory.write`. */
  readonly eventType: string;
  /** Any JSON value with an RFC 8785 form (no lone surrogates, non-finite numbers, U+0000, Dates…). */
  readonly payload: unknown;
  /** The id of the manifest signature this event relates to, if any. */
  readonly manifestSignatureId?: string | null;
}

/** Options of {@link insertAuditEvent}. */
export interface InsertAuditEventOptions {
  readonly signer: AuditSigner;
  /** Counts sign failures; default: the module's `signFailures` counter. */
  readonly signFailures?: CounterLike;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/**
 * Append one signed event to audit_events, in ONE transaction: lock the chain head (so concurrent
 * writers form one linear chain) → canonicalize {eventType, payload, prevHash, createdAt,
 * manifestSignatureId} (RFC 8785) → SHA-256 → have the proxy sign the digest → INSERT → move the
 * head → COMMIT. If signing fails the transaction rolls back and AuditSignError is thrown: no
 * unsigned row ever exists. Concurrent calls in one process for the same `pg` and signer share a
 * transaction (group commit: one lock, one /sign/batch, one COMMIT) and succeed or fail together.
 * Input errors (TypeError, CanonicalizationError) are thrown before any database or network work.
 */
export async function insertAuditEvent(
  pg: PgPoolOrClient,
  event: AuditEventInput,
  options: InsertAuditEventOptions,
): Promise<AuditEventRow> {
  const manifestSignatureId = event.manifestSignatureId ?? null;
  checkInput(event.eventType, manifestSignatureId, event.payload);
  const fields = { eventType: event.eventType, payload: event.payload, manifestSignatureId };
  // Refuse a payload without a canonical form now, before a connection or a lock is taken.
  recordHash({ ...fields, prevHash: "", createdAt: "" });
  const counter = options.signFailures ?? signFailures;
  return new Promise<AuditEventRow>((resolve, reject) =>
    chainWriter(pg, options.signer).enqueue({
      fields,
      now: options.now ?? (() => new Date()),
      onSignFailure: (reason) => counter.inc({ reason }),
      resolve,
      reject,
    }),
  );
}

function checkInput(eventType: unknown, manifestSignatureId: unknown, payload: unknown): void {
  if (typeof eventType !== "string" || eventType.length < 1 || eventType.length > 256) {
    throw new TypeError("eventType must be a string of 1 to 256 characters");
  }
  if (
    manifestSignatureId !== null &&
    (typeof manifestSignatureId !== "string" || manifestSignatureId === "")
  ) {
    throw new TypeError("manifestSignatureId must be a non-empty string or null");
  }
  if (payload === undefined) throw new TypeError("payload is required (use null for none)");
  // PostgreSQL text and jsonb cannot hold U+0000: refuse it here rather than after the proxy signed.
  if (containsNul(eventType) || containsNul(manifestSignatureId) || containsNul(payload)) {
    throw new TypeError("eventType, manifestSignatureId and payload must not contain U+0000");
  }
}
