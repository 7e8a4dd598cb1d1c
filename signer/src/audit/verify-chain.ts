import type { AuditEvent } from "../store/store.js";
import { eventHash, GENESIS_HASH } from "./event.js";
import { checkEventShape } from "./verify-event-shape.js";
import { type SealKey, sealProblem, type VerifySymmetric } from "./verify-seal.js";

export type { SealKey, VerifySymmetric } from "./verify-seal.js";

/** What {@link verifyAuditChain} trusts: only these keys and, optionally, a head seen earlier. */
export interface VerifyChainOptions {
  /** Public keys by kid (from the registry or a signers.json). */
  readonly keys: ReadonlyMap<string, SealKey>;
  /** Verifies seals whose key has no public key (HMAC): given by the CLI when it can load the secret; otherwise such seals are reported unverifiable. */
  readonly verifySymmetric?: VerifySymmetric;
  /** The log must still contain this event (catches truncation). */
  readonly pinHead?: { readonly seq: number; readonly hash: string };
}

/** The verdict on one log. `count`, `head` and `seals` cover the events that passed every per-event check. */
export interface VerifyChainReport {
  readonly ok: boolean;
  readonly count: number;
  readonly head: { seq: number; hash: string } | null;
  readonly seals: number;
  /** The first seq at which the log stops holding, and why (absent when ok). */
  readonly firstBad?: { readonly seq: number; readonly reason: string };
}

/**
 * A source (e.g. a JSONL file) could not produce the next event, for a reason that is the log's
 * fault (a malformed line), not the machine's. verifyAuditChain reports it as the first bad seq.
 */
export class AuditSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditSourceError";
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verify an audit log (DESIGN.md A6) in one streaming pass with constant memory, stopping at the
 * first failure: exact fields and types, seq from 0 without gaps, prevHash links, recomputed hashes,
 * every seal against `keys`, a seal on the last event, and the pinned head if given.
 */
export async function verifyAuditChain(
  events: AsyncIterable<unknown> | Iterable<unknown>,
  opts: VerifyChainOptions,
): Promise<VerifyChainReport> {
  const pin = opts.pinHead;
  if (pin !== undefined && (!Number.isSafeInteger(pin.seq) || pin.seq < 0 || !HEX64.test(pin.hash))) {
    throw new TypeError("pinHead needs a non-negative integer seq and a 64-lowercase-hex hash");
  }
  let count = 0;
  let seals = 0;
  let last: AuditEvent | null = null;
  const fail = (seq: number, reason: string): VerifyChainReport => ({
    ok: false,
    count,
    head: last === null ? null : { seq: last.seq, hash: last.hash },
    seals,
    firstBad: { seq, reason },
  });
  try {
    for await (const value of events) {
      // Position = the seq this event must have; a missing or reordered event is bad at this seq.
      const expected = count;
      const checked = await checkEvent(value, expected, last, opts);
      if (typeof checked === "string") return fail(expected, checked);
      const event = checked;
      if (event.signature !== null) seals++;
      if (pin !== undefined && event.seq === pin.seq && event.hash !== pin.hash) {
        // Another event now stands where the pinned one stood: history was rewritten.
        return fail(event.seq, `hash ${event.hash} differs from the pinned head hash ${pin.hash}`);
      }
      last = event;
      count++;
    }
  } catch (err) {
    if (err instanceof AuditSourceError) return fail(count, err.message);
    throw err;
  }
  // The writer commits a batch with its seal, so an unsealed tail was added or stripped afterwards.
  if (last !== null && last.signature === null) {
    return fail(last.seq, "log ends on an unsealed event (the last event must carry a seal)");
  }
  // A shorter log with a valid seal still verifies on its own; only a pinned head proves truncation.
  if (pin !== undefined && (last === null || last.seq < pin.seq)) {
    const end = last === null ? "the log is empty" : `the log ends at seq ${last.seq}`;
    return fail(pin.seq, `pinned head seq ${pin.seq} is missing: ${end} (truncated)`);
  }
  return { ok: true, count, head: last === null ? null : { seq: last.seq, hash: last.hash }, seals };
}

/** The event when it holds on its own and links to `previous`; otherwise why not. */
async function checkEvent(
  value: unknown,
  expected: number,
  previous: AuditEvent | null,
  opts: VerifyChainOptions,
): Promise<AuditEvent | string> {
  const shape = checkEventShape(value);
  if (!shape.ok) return shape.reason;
  const event = shape.event;
  // A gap, repeat or reordering shifts positions; seq is also covered by the hash.
  if (event.seq !== expected) return `expected seq ${expected}, found seq ${event.seq}`;
  // The link is what makes deleting, inserting or reordering events detectable.
  const prev = previous === null ? GENESIS_HASH : previous.hash;
  if (event.prevHash !== prev) {
    return previous === null
      ? "prevHash of the first event is not 64 zeros"
      : `prevHash does not match the hash of seq ${previous.seq}`;
  }
  let recomputed: string;
  try {
    recomputed = eventHash(event);
  } catch (err) {
    // E.g. a lone surrogate: no canonical bytes, so no hash anyone could reproduce.
    return `event has no canonical form: ${err instanceof Error ? err.message : String(err)}`;
  }
  // Any edited field changes the hash; the stored one must be the one the fields produce.
  if (recomputed !== event.hash) return `hash mismatch: the fields hash to ${recomputed}`;
  if (event.signature === null) return event;
  const seal = await sealProblem(
    event.auditKid,
    event.hash,
    event.signature,
    opts.keys,
    opts.verifySymmetric,
  );
  return seal ?? event;
}
