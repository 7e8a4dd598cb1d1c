import { verifyConsistency } from "./merkle.js";
import { NoteError, type NoteVerifier, verifyNote } from "./signed-note.js";

/** The body of a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
}

/** Checkpoint body text: origin, decimal size, base64 root hash, each line ending in "\n". */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin === "" || /[\n\r]/.test(cp.origin)) throw new NoteError("bad checkpoint origin");
  return `${cp.origin}\n${cp.size}\n${cp.rootHash.toString("base64")}\n`;
}

/** Parse a checkpoint body (extension lines after the third are allowed and ignored). */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split("\n");
  const [origin = "", sizeText = "", rootText = ""] = lines;
  // Decimal without leading zeros, so one size has exactly one encoding.
  if (origin === "" || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) throw new NoteError("malformed checkpoint");
  const size = Number(sizeText);
  const rootHash = Buffer.from(rootText, "base64");
  if (!Number.isSafeInteger(size) || rootHash.length !== 32 || rootHash.toString("base64") !== rootText) {
    throw new NoteError("malformed checkpoint");
  }
  return Object.freeze({ origin, size, rootHash });
}

/**
 * Verify a signed checkpoint note and parse its body. `origin`, when given, must match: a
 * checkpoint of another log proves nothing about this one.
 */
export function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): Checkpoint {
  const cp = parseCheckpoint(verifyNote(note, verifiers).text);
  if (origin !== undefined && cp.origin !== origin) throw new NoteError(`unexpected origin ${cp.origin}`);
  return cp;
}

/**
 * True when `newer` extends `pinned` per the consistency proof (base64 hashes). Catches a log that
 * was truncated, rewritten or forked since `pinned` was observed.
 */
export function checkpointExtends(
  pinned: Checkpoint,
  newer: Checkpoint,
  proofB64: readonly string[],
): boolean {
  if (pinned.origin !== newer.origin) return false;
  const proof = proofB64.map((p) => Buffer.from(p, "base64"));
  if (pinned.size === 0) return newer.size >= 0 && proofB64.length === 0;
  return verifyConsistency(pinned.size, newer.size, proof, pinned.rootHash, newer.rootHash);
}
