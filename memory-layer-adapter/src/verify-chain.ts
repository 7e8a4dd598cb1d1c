import { inTransaction, type PgPoolOrClient } from "./pg-types.js";
import { readAuditRows, readChainHead } from "./read-table.js";
import { type AuditChainReport, type AuditKeysInput, verifyAuditRows } from "./verify-rows.js";

/**
 * Verify the whole audit_events table against `keys` (the /keys body of the signing proxy): every
 * link, every recomputed hash, every signature, and that the chain ends at audit_chain_head. Reads
 * one consistent snapshot (REPEATABLE READ, read-only), so concurrent inserts do not disturb it.
 * Returns `{ ok, count, firstBad?: { id, reason } }` with `id` the audit_events row id.
 */
export async function verifyAuditChain(
  pg: PgPoolOrClient,
  options: { readonly keys: AuditKeysInput },
): Promise<AuditChainReport> {
  return inTransaction(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", async (client) => {
    const head = await readChainHead(client);
    return verifyAuditRows(readAuditRows(client), { keys: options.keys, head });
  });
}
