import type { KeyStatus } from "../algorithms.js";
import type { KeyRecord } from "./store.js";

/** A proposal's persisted status; `expired` is derived from `expiresAt` and never stored. */
export type StoredProposalStatus = "pending" | "approved" | "rejected";

/** How an approval's signature was obtained. */
export type ApprovalMode = "proxy" | "detached";

/** One multisig proposal as the store keeps it (docs/multisig.md). */
export interface ProposalRecord {
  readonly id: string;
  readonly policy: string;
  /** Threshold and signer set of the policy when the proposal was made. */
  readonly threshold: number;
  readonly signers: readonly string[];
  readonly type: string;
  readonly target: string;
  readonly version: number;
  /** The manifest's RFC 8785 text: the bytes `digestHex` is over. */
  readonly manifestJson: string;
  readonly digestHex: string;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly status: StoredProposalStatus;
  readonly decidedAt: string | null;
  /** The frozen proof (JSON text), set once when the proposal becomes approved. */
  readonly proofJson: string | null;
}

/** One accepted approval of a proposal. */
export interface ApprovalRecord {
  readonly proposalId: string;
  /** 0, 1, 2 … in the order the approvals were accepted. */
  readonly seq: number;
  readonly kid: string;
  readonly alg: string;
  /** Base64 signature over the proposal's 32 digest bytes (DESIGN.md A4). */
  readonly signature: string;
  /** Lowercase hex SHA-256 of the key's SPKI DER: what "distinct public key" compares. */
  readonly keyFingerprint: string;
  readonly approver: string;
  readonly mode: ApprovalMode;
  readonly createdAt: string;
}

/** A proposal with its approvals in seq order. */
export interface ProposalState {
  readonly proposal: ProposalRecord;
  readonly approvals: readonly ApprovalRecord[];
}

/** What an approval decider sees inside the store's locked transaction. */
export interface LockedProposalState extends ProposalState {
  /** Highest version of an approved proposal for the same target, or null. */
  readonly lastApprovedVersion: number | null;
  /** The records of the kids the caller asked for (missing kids are absent). */
  readonly keys: ReadonlyMap<string, KeyRecord>;
}

/** What a decider asks the store to write, all in the same transaction. */
export interface MultisigWrites {
  readonly approval?: ApprovalRecord;
  /** Decide the proposal: `approved` with its proof, or `rejected`. */
  readonly decision?: {
    readonly status: "approved" | "rejected";
    readonly decidedAt: string;
    readonly proofJson: string | null;
  };
  /** Key status changes of an approved key-promotion or key-revocation manifest. */
  readonly keyStatuses?: readonly { readonly kid: string; readonly status: KeyStatus }[];
}

/**
 * Decides an approval from the locked state; synchronous on purpose, so the lock is held only for
 * reads and writes, never across a backend call. Returning writes commits them; throwing rolls back.
 */
export type MultisigDecider<T> = (state: LockedProposalState) => {
  readonly writes: MultisigWrites;
  readonly result: T;
};

/** A `multisig_proposals` row; pg returns BIGINT as a string. */
export interface ProposalRow {
  readonly id: string;
  readonly policy: string;
  readonly threshold: number | string;
  readonly signers: string;
  readonly type: string;
  readonly target: string;
  readonly version: number | string;
  readonly manifest: string;
  readonly digest_hex: string;
  readonly expires_at: string;
  readonly created_at: string;
  readonly created_by: string;
  readonly status: string;
  readonly decided_at: string | null;
  readonly proof: string | null;
}

/** A `multisig_approvals` row. */
export interface ApprovalRow {
  readonly proposal_id: string;
  readonly seq: number | string;
  readonly kid: string;
  readonly alg: string;
  readonly signature: string;
  readonly key_fingerprint: string;
  readonly approver: string;
  readonly mode: string;
  readonly created_at: string;
}

/** Column order of `multisig_proposals` inserts (matches proposalParams). */
export const PROPOSAL_COLUMNS = [
  "id",
  "policy",
  "threshold",
  "signers",
  "type",
  "target",
  "version",
  "manifest",
  "digest_hex",
  "expires_at",
  "created_at",
  "created_by",
  "status",
  "decided_at",
  "proof",
] as const;

/** Column order of `multisig_approvals` inserts (matches approvalParams). */
export const APPROVAL_COLUMNS = [
  "proposal_id",
  "seq",
  "kid",
  "alg",
  "signature",
  "key_fingerprint",
  "approver",
  "mode",
  "created_at",
] as const;

function int(value: number | string, what: string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`store returned an invalid ${what}: ${String(value)}`);
  return n;
}

/** Map a proposal row, refusing values the schema should have prevented. */
export function proposalFromRow(row: ProposalRow): ProposalRecord {
  const status = row.status;
  if (status !== "pending" && status !== "approved" && status !== "rejected") {
    throw new Error(`proposal ${row.id} has an unknown status in the store`);
  }
  const signers: unknown = JSON.parse(row.signers);
  if (!Array.isArray(signers) || !signers.every((s) => typeof s === "string")) {
    throw new Error(`proposal ${row.id} has malformed signers in the store`);
  }
  return Object.freeze({
    id: row.id,
    policy: row.policy,
    threshold: int(row.threshold, "threshold"),
    signers: Object.freeze(signers as string[]),
    type: row.type,
    target: row.target,
    version: int(row.version, "version"),
    manifestJson: row.manifest,
    digestHex: row.digest_hex,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    status,
    decidedAt: row.decided_at,
    proofJson: row.proof,
  });
}

/** Insert parameters in PROPOSAL_COLUMNS order. */
export function proposalParams(p: ProposalRecord): (string | number | null)[] {
  return [
    p.id,
    p.policy,
    p.threshold,
    JSON.stringify(p.signers),
    p.type,
    p.target,
    p.version,
    p.manifestJson,
    p.digestHex,
    p.expiresAt,
    p.createdAt,
    p.createdBy,
    p.status,
    p.decidedAt,
    p.proofJson,
  ];
}

/** Map an approval row. */
export function approvalFromRow(row: ApprovalRow): ApprovalRecord {
  if (row.mode !== "proxy" && row.mode !== "detached") {
    throw new Error(`approval of ${row.proposal_id} has an unknown mode in the store`);
  }
  return Object.freeze({
    proposalId: row.proposal_id,
    seq: int(row.seq, "approval seq"),
    kid: row.kid,
    alg: row.alg,
    signature: row.signature,
    keyFingerprint: row.key_fingerprint,
    approver: row.approver,
    mode: row.mode,
    createdAt: row.created_at,
  });
}

/** Insert parameters in APPROVAL_COLUMNS order. */
export function approvalParams(a: ApprovalRecord): (string | number)[] {
  return [a.proposalId, a.seq, a.kid, a.alg, a.signature, a.keyFingerprint, a.approver, a.mode, a.createdAt];
}
