// The chain check shared by the table and the JSONL archive: one streaming pass, first failure wins.
import {
  type JwksDocument,
  type PublishedKey,
  parseKeyDocument,
  type SignersDocument,
  verifyDigest,
} from "@signing-proxy/client-sdk";
import { type AuditEventRow, GENESIS_HASH, recordHash } from "./audit-record.js";

/** The keys to trust: the /keys body (signers.json), a JWKS, or keys already parsed (parseKeyDocument). */
export type AuditKeysInput = SignersDocument | JwksDocument | ReadonlyMap<string, PublishedKey>;

/** The verdict: `count` rows passed every check; `firstBad` names the first row that did not. */
export interface AuditChainReport {
  readonly ok: boolean;
  readonly count: number;
  readonly firstBad?: { readonly id: number; readonly reason: string };
}

/** A row that could not even be read (e.g. a malformed archive line), reported at its position. */
export interface UnreadableRow {
  readonly unreadable: true;
  /** The row id if it could be read, else 0 (no identity value is 0). */
  readonly id: number;
  readonly reason: string;
}

/** The head the table says the chain ends at (audit_chain_head), to catch rows deleted at the end. */
export interface ChainHead {
  readonly lastId: number | null;
  readonly hash: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Check rows in chain order: each prevHash links to the previous row's hash (GENESIS_HASH first),
 * each hash is recomputed from the row's content, each signature verifies over the hash with the
 * key of signer_kid — which must be published, not revoked, of the row's alg, and asymmetric — and,
 * when `head` is given, the chain ends exactly at the head (rows deleted from the end are caught).
 */
export async function verifyAuditRows(
  rows: AsyncIterable<AuditEventRow | UnreadableRow> | Iterable<AuditEventRow | UnreadableRow>,
  options: { readonly keys: AuditKeysInput; readonly head?: ChainHead },
): Promise<AuditChainReport> {
  const keys = options.keys instanceof Map ? options.keys : parseKeyDocument(options.keys);
  let count = 0;
  let prev: { id: number; hash: string } | null = null;
  const bad = (id: number, reason: string): AuditChainReport => ({
    ok: false,
    count,
    firstBad: { id, reason },
  });
  for await (const row of rows) {
    if ("unreadable" in row) return bad(row.id, row.reason);
    const head = options.head;
    if (head !== undefined && prev !== null && prev.id === head.lastId) {
      return bad(
        row.id,
        `row ${row.id} lies after the chain head (row ${head.lastId}): not written by insertAuditEvent`,
      );
    }
    const problem = checkRow(row, prev, keys);
    if (problem !== null) return bad(row.id, problem);
    prev = { id: row.id, hash: row.hash };
    count++;
  }
  const head = options.head;
  if (
    head !== undefined &&
    (head.lastId !== (prev?.id ?? null) || head.hash !== (prev?.hash ?? GENESIS_HASH))
  ) {
    // The head names a row the table no longer ends with: rows were deleted from the end.
    const where = prev === null ? "the table is empty" : `the table ends at row ${prev.id}`;
    return bad(head.lastId ?? 0, `the chain head names row ${head.lastId} but ${where}: rows were removed`);
  }
  return { ok: true, count };
}

function checkRow(
  row: AuditEventRow,
  prev: { id: number; hash: string } | null,
  keys: ReadonlyMap<string, PublishedKey>,
): string | null {
  const expectedPrev = prev?.hash ?? GENESIS_HASH;
  if (row.prevHash !== expectedPrev) {
    return prev === null
      ? "prev_hash of the first row is not the genesis hash: rows before it are missing"
      : `prev_hash does not match the hash of row ${prev.id}: a row is missing, reordered or altered`;
  }
  if (!HEX64.test(row.hash)) return "hash is not 64 lowercase hex characters";
  let recomputed: string;
  try {
    recomputed = recordHash(row);
  } catch (err) {
    return `content cannot be canonicalized: ${err instanceof Error ? err.message : String(err)}`;
  }
  // The row's content (event type, payload, time, manifest id, link) no longer gives its hash.
  if (recomputed !== row.hash) return "hash does not match the row's content: the row was altered";
  return checkSignature(row, keys);
}

function checkSignature(row: AuditEventRow, keys: ReadonlyMap<string, PublishedKey>): string | null {
  const key = keys.get(row.signerKid);
  if (key === undefined) return `signer_kid ${JSON.stringify(row.signerKid)} is not a published key`;
  // A revoked key's signatures no longer count, whatever their bytes (DESIGN.md A5).
  if (key.status === "revoked") return `signer_kid ${JSON.stringify(row.signerKid)} is revoked`;
  if (key.alg !== row.alg) return `alg ${row.alg} does not match the key's ${key.alg}`;
  if (key.publicKey === null) return `${key.alg} signatures cannot be verified offline (no public key)`;
  let valid: boolean;
  try {
    valid = verifyDigest({
      alg: key.alg,
      publicKey: key.publicKey,
      digestHex: row.hash,
      signature: row.signature,
    });
  } catch (err) {
    return `signature cannot be checked: ${err instanceof Error ? err.message : String(err)}`;
  }
  return valid ? null : "signature does not verify over the row's hash";
}
