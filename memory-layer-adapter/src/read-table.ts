// Reading audit_events back in chain order, in pages, as AuditEventRow values.
import { parseStrictJson, type SignatureAlg } from "@signing-proxy/client-sdk";
import type pg from "pg";
import type { AuditEventRow } from "./audit-record.js";
import type { ChainHead, UnreadableRow } from "./verify-rows.js";

interface DbRow {
  id: string;
  event_type: string;
  payload_text: string;
  hash: string;
  prev_hash: string;
  signature: string;
  signer_kid: string;
  alg: string;
  manifest_signature_id: string | null;
  created_at_text: string;
}

const PAGE = 1000;

/** The chain head row (audit_chain_head). */
export async function readChainHead(client: pg.ClientBase): Promise<ChainHead> {
  const res = await client.query<{ last_id: string | null; hash: string }>(
    "SELECT last_id, hash FROM audit_chain_head WHERE singleton",
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error("audit_chain_head is empty: run migrate() first");
  return { lastId: row.last_id === null ? null : Number(row.last_id), hash: row.hash };
}

/**
 * Every row in id order (= chain order: ids are drawn under the head lock), PAGE rows per query.
 * The payload and created_at are read as text and parsed here, not through pg's type parsers, so
 * what is hashed does not depend on the caller's pg.types configuration.
 */
export async function* readAuditRows(client: pg.ClientBase): AsyncGenerator<AuditEventRow | UnreadableRow> {
  let after = "0";
  for (;;) {
    const res = await client.query<DbRow>(
      `SELECT id, event_type, payload::text AS payload_text, hash, prev_hash, signature, signer_kid, alg,
              manifest_signature_id,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text
         FROM audit_events WHERE id > $1 ORDER BY id LIMIT ${PAGE}`,
      [after],
    );
    for (const r of res.rows) yield toRow(r);
    const last = res.rows.at(-1);
    if (last === undefined || res.rows.length < PAGE) return;
    after = last.id;
  }
}

function toRow(r: DbRow): AuditEventRow | UnreadableRow {
  const id = Number(r.id);
  let payload: unknown;
  try {
    // jsonb keeps neither key order nor number spelling, but its text parses back to the same
    // JSON values, whose canonical form is the one that was hashed (test/e2e/memory-layer-jsonb).
    payload = parseStrictJson(r.payload_text, { maxBytes: 64 * 1024 * 1024 });
  } catch (err) {
    return { unreadable: true, id, reason: `payload cannot be read: ${(err as Error).message}` };
  }
  return {
    id,
    eventType: r.event_type,
    payload,
    hash: r.hash,
    prevHash: r.prev_hash,
    signature: r.signature,
    signerKid: r.signer_kid,
    alg: r.alg as SignatureAlg,
    manifestSignatureId: r.manifest_signature_id,
    createdAt: isoMillis(r.created_at_text),
  };
}

/** `…SS.uuuuuuZ` → `…SS.mmmZ` (toISOString's form) when the microseconds are whole milliseconds. */
function isoMillis(text: string): string {
  // Sub-millisecond digits were never written by insertAuditEvent: keep them, so the hash check fails.
  return text.endsWith("000Z") ? `${text.slice(0, -4)}Z` : text;
}
