// The JSONL archive: one audit_events row per line, in chain order, written canonically.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { canonicalize, parseStrictJson, type SignatureAlg } from "@signing-proxy/client-sdk";
import type { AuditEventRow } from "./audit-record.js";
import { inTransaction, type PgPoolOrClient } from "./pg-types.js";
import { readAuditRows } from "./read-table.js";
import type { UnreadableRow } from "./verify-rows.js";

/** The members of one archive line, exactly. */
const LINE_FIELDS = [
  "alg",
  "createdAt",
  "eventType",
  "hash",
  "id",
  "manifestSignatureId",
  "payload",
  "prevHash",
  "signature",
  "signerKid",
] as const;

/** One row as one archive line (RFC 8785 JSON of the AuditEventRow, no newline). */
export function archiveLine(row: AuditEventRow): string {
  return canonicalize({ ...row });
}

/**
 * Write every row of audit_events to `write`, one line each, from one consistent snapshot.
 * Returns the number of rows written. Verify the archive later with `memory-audit-verify --file`.
 */
export async function exportAuditJsonl(
  pg: PgPoolOrClient,
  write: (line: string) => void | Promise<void>,
): Promise<number> {
  return inTransaction(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", async (client) => {
    let n = 0;
    for await (const row of readAuditRows(client)) {
      // An unreadable payload cannot be archived faithfully; stop rather than write something else.
      if ("unreadable" in row) throw new Error(`row ${row.id}: ${row.reason}`);
      await write(`${archiveLine(row)}\n`);
      n++;
    }
    return n;
  });
}

/** Rows of a JSONL archive, in file order; a malformed line becomes an UnreadableRow naming its line. */
export async function* readArchive(input: Readable): AsyncGenerator<AuditEventRow | UnreadableRow> {
  let lineNo = 0;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNo++;
    if (line.trim() === "") continue;
    yield parseLine(line, lineNo);
  }
}

function parseLine(line: string, lineNo: number): AuditEventRow | UnreadableRow {
  let value: unknown;
  try {
    value = parseStrictJson(line, { maxBytes: 64 * 1024 * 1024 });
  } catch (err) {
    return { unreadable: true, id: 0, reason: `line ${lineNo}: ${(err as Error).message}` };
  }
  const r = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const id = Number.isSafeInteger(r.id) && (r.id as number) > 0 ? (r.id as number) : 0;
  const fail = (what: string): UnreadableRow => ({ unreadable: true, id, reason: `line ${lineNo}: ${what}` });
  const keys = Object.keys(r).sort();
  // Exactly the archive's members: an extra field could carry data the hash does not cover.
  if (keys.length !== LINE_FIELDS.length || keys.some((k, i) => k !== LINE_FIELDS[i])) {
    return fail(`expected exactly the members ${LINE_FIELDS.join(", ")}`);
  }
  if (id === 0) return fail("id must be a positive integer");
  for (const f of ["alg", "createdAt", "eventType", "hash", "prevHash", "signature", "signerKid"] as const) {
    if (typeof r[f] !== "string") return fail(`${f} must be a string`);
  }
  if (r.manifestSignatureId !== null && typeof r.manifestSignatureId !== "string") {
    return fail("manifestSignatureId must be a string or null");
  }
  return {
    id,
    eventType: r.eventType as string,
    payload: r.payload,
    hash: r.hash as string,
    prevHash: r.prevHash as string,
    signature: r.signature as string,
    signerKid: r.signerKid as string,
    alg: r.alg as SignatureAlg,
    manifestSignatureId: r.manifestSignatureId as string | null,
    createdAt: r.createdAt as string,
  };
}
