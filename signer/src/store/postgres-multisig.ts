import type pg from "pg";
import {
  APPROVAL_COLUMNS,
  type ApprovalRow,
  approvalFromRow,
  approvalParams,
  type MultisigDecider,
  type MultisigWrites,
  PROPOSAL_COLUMNS,
  type ProposalRecord,
  type ProposalRow,
  type ProposalState,
  proposalFromRow,
  proposalParams,
} from "./multisig-records.js";
import { inTransaction, type Query } from "./postgres-support.js";
import { type KeyRow, keyFromRow } from "./rows.js";
import type { KeyRecord } from "./store.js";

const INSERT_PROPOSAL = `INSERT INTO multisig_proposals (${PROPOSAL_COLUMNS.join(", ")})
  VALUES (${PROPOSAL_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`;
const INSERT_APPROVAL = `INSERT INTO multisig_approvals (${APPROVAL_COLUMNS.join(", ")})
  VALUES (${APPROVAL_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`;
const LAST_APPROVED =
  "SELECT max(version)::text AS v FROM multisig_proposals WHERE target = $1 AND status = 'approved'";

/** Insert a new proposal. */
export async function pgInsertProposal(q: Query, record: ProposalRecord): Promise<void> {
  await q(INSERT_PROPOSAL, proposalParams(record));
}

/** A proposal with its approvals, or null; `lock` takes the proposal's row lock (in a transaction). */
export async function pgGetProposal(q: Query, id: string, lock = false): Promise<ProposalState | null> {
  const r = await q<ProposalRow>(
    `SELECT * FROM multisig_proposals WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
    [id],
  );
  const row = r.rows[0];
  if (row === undefined) return null;
  const approvals = await q<ApprovalRow>(
    "SELECT * FROM multisig_approvals WHERE proposal_id = $1 ORDER BY seq",
    [id],
  );
  return { proposal: proposalFromRow(row), approvals: approvals.rows.map(approvalFromRow) };
}

/** Highest approved version for `target`, or null. */
export async function pgLastApprovedVersion(q: Query, target: string): Promise<number | null> {
  const r = await q<{ v: string | null }>(LAST_APPROVED, [target]);
  const v = r.rows[0]?.v;
  if (v === null || v === undefined) return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`store returned an invalid version: ${v}`);
  return n;
}

/**
 * Run `decide` with the proposal locked. Lock order — the target (advisory), then the proposal row
 * (FOR UPDATE), then the key rows by kid — is the same for every caller, so replicas serialise
 * without deadlocks: two approvals cannot both count past the threshold, and two proposals of one
 * target cannot both be approved at the same version.
 */
export async function pgDecideApproval<T>(
  pool: pg.Pool,
  id: string,
  kids: readonly string[],
  decide: MultisigDecider<T>,
): Promise<T | null> {
  return inTransaction(pool, async (q) => {
    const peek = await q<{ target: string }>("SELECT target FROM multisig_proposals WHERE id = $1", [id]);
    const target = peek.rows[0]?.target;
    if (target === undefined) return null;
    await q("SELECT pg_advisory_xact_lock(hashtext('signing-proxy.multisig-target'), hashtext($1))", [
      target,
    ]);
    const state = await pgGetProposal(q, id, true);
    if (state === null) return null;
    const keys = new Map<string, KeyRecord>();
    const sorted = [...new Set(kids)].sort();
    if (sorted.length > 0) {
      const r = await q<KeyRow>(
        'SELECT * FROM keys WHERE kid = ANY($1) ORDER BY kid COLLATE "C" FOR UPDATE',
        [sorted],
      );
      for (const row of r.rows) keys.set(row.kid, keyFromRow(row));
    }
    const lastApprovedVersion = await pgLastApprovedVersion(q, target);
    const { writes, result } = decide({ ...state, keys, lastApprovedVersion });
    await applyWrites(q, id, writes);
    return result;
  });
}

async function applyWrites(q: Query, id: string, writes: MultisigWrites): Promise<void> {
  // The approval goes in first, while the proposal is still pending (a trigger insists on it).
  if (writes.approval) await q(INSERT_APPROVAL, approvalParams(writes.approval));
  if (writes.decision) {
    const { status, decidedAt, proofJson } = writes.decision;
    const r = await q(
      "UPDATE multisig_proposals SET status = $1, decided_at = $2, proof = $3 WHERE id = $4 AND status = 'pending'",
      [status, decidedAt, proofJson, id],
    );
    if (r.rowCount !== 1) throw new Error(`proposal ${id} was not pending when decided`);
    for (const k of writes.keyStatuses ?? []) {
      const u = await q("UPDATE keys SET status = $1, updated_at = $2 WHERE kid = $3", [
        k.status,
        decidedAt,
        k.kid,
      ]);
      if (u.rowCount !== 1) throw new Error(`unknown kid ${k.kid}`);
    }
  }
}
