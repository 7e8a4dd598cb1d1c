import type Database from "better-sqlite3";
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
import { type KeyRow, keyFromRow } from "./rows.js";
import type { KeyRecord } from "./store.js";

type Db = Database.Database;
type Stmt<R> = Database.Statement<unknown[], R>;

interface MultisigStatements {
  readonly insertProposal: Stmt<unknown>;
  readonly getProposal: Stmt<ProposalRow>;
  readonly listApprovals: Stmt<ApprovalRow>;
  readonly insertApproval: Stmt<unknown>;
  readonly decide: Stmt<unknown>;
  readonly lastApproved: Stmt<{ v: number | null }>;
  readonly getKey: Stmt<KeyRow>;
  readonly setKeyStatus: Stmt<unknown>;
}

// Prepared once per connection, after migrations created the tables (first use).
const cache = new WeakMap<Db, MultisigStatements>();

function statements(db: Db): MultisigStatements {
  let s = cache.get(db);
  if (s === undefined) {
    const p = <R>(sql: string): Stmt<R> => db.prepare<unknown[], R>(sql);
    const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");
    s = {
      insertProposal: p(
        `INSERT INTO multisig_proposals (${PROPOSAL_COLUMNS.join(", ")}) VALUES (${marks(PROPOSAL_COLUMNS.length)})`,
      ),
      getProposal: p<ProposalRow>("SELECT * FROM multisig_proposals WHERE id = ?"),
      listApprovals: p<ApprovalRow>("SELECT * FROM multisig_approvals WHERE proposal_id = ? ORDER BY seq"),
      insertApproval: p(
        `INSERT INTO multisig_approvals (${APPROVAL_COLUMNS.join(", ")}) VALUES (${marks(APPROVAL_COLUMNS.length)})`,
      ),
      decide: p(
        "UPDATE multisig_proposals SET status = ?, decided_at = ?, proof = ? WHERE id = ? AND status = 'pending'",
      ),
      lastApproved: p<{ v: number | null }>(
        "SELECT max(version) AS v FROM multisig_proposals WHERE target = ? AND status = 'approved'",
      ),
      getKey: p<KeyRow>("SELECT * FROM keys WHERE kid = ?"),
      setKeyStatus: p("UPDATE keys SET status = ?, updated_at = ? WHERE kid = ?"),
    };
    cache.set(db, s);
  }
  return s;
}

/** Insert a new proposal. */
export function sqliteInsertProposal(db: Db, record: ProposalRecord): void {
  statements(db).insertProposal.run(...proposalParams(record));
}

/** A proposal with its approvals, or null. */
export function sqliteGetProposal(db: Db, id: string): ProposalState | null {
  const s = statements(db);
  const row = s.getProposal.get(id);
  if (row === undefined) return null;
  return { proposal: proposalFromRow(row), approvals: s.listApprovals.all(id).map(approvalFromRow) };
}

/** Highest approved version for `target`, or null. */
export function sqliteLastApprovedVersion(db: Db, target: string): number | null {
  const v = statements(db).lastApproved.get(target)?.v;
  return v === null || v === undefined ? null : v;
}

/**
 * Run `decide` on the proposal inside BEGIN IMMEDIATE: the write lock is taken before the reads, so
 * two approvals of one proposal (or two proposals of one target) cannot both see the old state.
 */
export function sqliteDecideApproval<T>(
  db: Db,
  id: string,
  kids: readonly string[],
  decide: MultisigDecider<T>,
): T | null {
  const s = statements(db);
  const run = db.transaction((): T | null => {
    const state = sqliteGetProposal(db, id);
    if (state === null) return null;
    const keys = new Map<string, KeyRecord>();
    for (const kid of kids) {
      const row = s.getKey.get(kid);
      if (row !== undefined) keys.set(kid, keyFromRow(row));
    }
    const lastApprovedVersion = sqliteLastApprovedVersion(db, state.proposal.target);
    const { writes, result } = decide({ ...state, keys, lastApprovedVersion });
    applyWrites(s, id, writes);
    return result;
  });
  return run.immediate();
}

function applyWrites(s: MultisigStatements, id: string, writes: MultisigWrites): void {
  // The approval goes in first, while the proposal is still pending (a trigger insists on it).
  if (writes.approval) s.insertApproval.run(...approvalParams(writes.approval));
  if (writes.decision) {
    const { status, decidedAt, proofJson } = writes.decision;
    const changed = s.decide.run(status, decidedAt, proofJson, id).changes;
    if (changed !== 1) throw new Error(`proposal ${id} was not pending when decided`);
    for (const k of writes.keyStatuses ?? []) {
      if (s.setKeyStatus.run(k.status, decidedAt, k.kid).changes !== 1)
        throw new Error(`unknown kid ${k.kid}`);
    }
  }
}
