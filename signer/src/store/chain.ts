import { type AuditEvent, type AuditHead, StoreConflictError } from "./store.js";

/** `prevHash` of the first event of the chain (DESIGN.md A6). */
export const GENESIS_PREV_HASH = "0".repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Throws StoreConflictError unless `events` extend `head` by contiguous seqs and linked hashes.
 * Both backends call this inside the locked transaction, so a batch built on a stale head never
 * lands: the chain stays one line even if a caller computed seq/prevHash wrongly.
 */
export function assertContinuesHead(head: AuditHead | null, events: readonly AuditEvent[]): void {
  let expectedSeq = head === null ? 0 : head.seq + 1;
  let expectedPrev = head === null ? GENESIS_PREV_HASH : head.hash;
  for (const event of events) {
    if (!Number.isSafeInteger(event.seq) || event.seq !== expectedSeq) {
      throw new StoreConflictError(
        `audit event seq ${event.seq} does not continue the chain (expected ${expectedSeq})`,
      );
    }
    // The link to the previous hash is what makes the log tamper-evident; never store a broken one.
    if (event.prevHash !== expectedPrev) {
      throw new StoreConflictError(`audit event ${event.seq} prevHash does not match the previous hash`);
    }
    // A malformed hash would be unverifiable and could collide with the 64-zero genesis marker.
    if (!HEX64.test(event.hash) || event.hash === GENESIS_PREV_HASH) {
      throw new StoreConflictError(`audit event ${event.seq} hash is not 64 lowercase hex characters`);
    }
    expectedSeq = event.seq + 1;
    expectedPrev = event.hash;
  }
}

/** The head after appending `events` (which must already have passed assertContinuesHead). */
export function headAfter(head: AuditHead | null, events: readonly AuditEvent[]): AuditHead | null {
  const last = events.at(-1);
  return last === undefined ? head : { seq: last.seq, hash: last.hash };
}
