import { canonicalBytes } from "./canonical.js";
import { type Checkpoint, openCheckpoint } from "./checkpoint.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { NoteError, type NoteVerifier } from "./signed-note.js";

/** The DESIGN.md A6 fields of an audit event, in A6 order (the JSONL export and the log leaf). */
export const AUDIT_EVENT_FIELDS = Object.freeze([
  "seq",
  "ts",
  "principal",
  "op",
  "kid",
  "alg",
  "digestHex",
  "result",
  "requestId",
  "auditKid",
  "prevHash",
  "hash",
  "signature",
] as const);

/** The fields that make up a transparency-log leaf: the whole event. */
export const LOG_LEAF_FIELDS = AUDIT_EVENT_FIELDS;

/** An audit event as `signer audit export` writes it. */
export type LogEvent = { readonly [K in (typeof LOG_LEAF_FIELDS)[number]]: unknown };

/** `GET /log/receipt/:index`: an event, its inclusion proof and the checkpoint it proves against. */
export interface LogReceipt {
  readonly index: number;
  readonly treeSize: number;
  readonly event: LogEvent;
  /** Base64 hashes, RFC 9162 §2.1.3 order. */
  readonly proof: readonly string[];
  /** The signed checkpoint note of size `treeSize`. */
  readonly checkpoint: string;
}

/**
 * Leaf data: the RFC 8785 bytes of exactly the A6 fields of the event (the export line's object), so a
 * field added or dropped changes the leaf.
 */
export function logLeafData(event: LogEvent): Buffer {
  const picked: Record<string, unknown> = {};
  for (const f of LOG_LEAF_FIELDS) {
    if (!(f in event)) throw new NoteError(`event lacks ${f}`);
    picked[f] = event[f];
  }
  return canonicalBytes(picked);
}

/**
 * Verify a receipt offline: the checkpoint note is signed by a trusted log key (and origin), and the
 * event is the leaf at `index` of the tree it commits to. Returns the checkpoint; throws NoteError.
 */
export function verifyLogReceipt(
  receipt: LogReceipt,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): Checkpoint {
  const cp = openCheckpoint(receipt.checkpoint, verifiers, origin);
  // The proof must be for the signed size, not a size the receipt merely claims.
  if (cp.size !== receipt.treeSize) throw new NoteError("receipt size differs from its checkpoint");
  if (receipt.event.seq !== receipt.index) throw new NoteError("receipt index differs from the event's seq");
  const proof = receipt.proof.map((p) => Buffer.from(p, "base64"));
  const leaf = leafHash(logLeafData(receipt.event));
  if (!verifyInclusion(receipt.index, cp.size, leaf, proof, cp.rootHash)) {
    throw new NoteError("inclusion proof does not verify");
  }
  return cp;
}
