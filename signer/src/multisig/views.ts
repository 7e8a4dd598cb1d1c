import type { MultisigProof } from "@signing-proxy/client-sdk";
import type { MultisigPolicyConfig } from "../config/types.js";
import type { ApprovalMode, ProposalRecord, ProposalState } from "../store/multisig-records.js";
import type { ParsedManifest } from "./manifest.js";

/** A proposal's status as callers see it (DESIGN.md A5). */
export type ProposalStatus = "pending" | "approved" | "expired" | "rejected";

/** One approval as GET /multisig/proposals/:id shows it (signatures only travel in the proof). */
export interface ApprovalView {
  readonly kid: string;
  readonly alg: string;
  readonly approver: string;
  readonly mode: ApprovalMode;
  readonly approvedAt: string;
}

/** GET /multisig/proposals/:id. */
export interface ProposalView {
  readonly id: string;
  readonly policy: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly signers: readonly string[];
  readonly status: ProposalStatus;
  readonly manifest: Record<string, unknown>;
  readonly expires: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly decidedAt: string | null;
  readonly approvals: readonly ApprovalView[];
}

/** The answer of POST /multisig/proposals. */
export interface ProposalCreated {
  readonly id: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly signers: readonly string[];
  readonly status: "pending";
}

/** `expired` is derived: a pending proposal past its expiry can no longer be approved. */
export function statusAt(proposal: ProposalRecord, now: Date): ProposalStatus {
  if (proposal.status === "pending" && now.getTime() >= Date.parse(proposal.expiresAt)) return "expired";
  return proposal.status;
}

/** The public view of a stored proposal at `now`. */
export function proposalView(state: ProposalState, now: Date): ProposalView {
  const { proposal } = state;
  return {
    id: proposal.id,
    policy: proposal.policy,
    digestHex: proposal.digestHex,
    threshold: proposal.threshold,
    signers: proposal.signers,
    status: statusAt(proposal, now),
    manifest: JSON.parse(proposal.manifestJson) as Record<string, unknown>,
    expires: proposal.expiresAt,
    createdAt: proposal.createdAt,
    createdBy: proposal.createdBy,
    decidedAt: proposal.decidedAt,
    approvals: state.approvals.map((a) => ({
      kid: a.kid,
      alg: a.alg,
      approver: a.approver,
      mode: a.mode,
      approvedAt: a.createdAt,
    })),
  };
}

/** The frozen proof of an approved proposal, or null while it has none. */
export function storedProof(proposal: ProposalRecord): MultisigProof | null {
  return proposal.proofJson === null ? null : (JSON.parse(proposal.proofJson) as MultisigProof);
}

/** A new, pending proposal of manifest `m` under `policy` (its threshold and signers snapshotted). */
export function newProposal(
  id: string,
  policy: MultisigPolicyConfig,
  m: ParsedManifest,
  createdBy: string,
  now: Date,
): ProposalRecord {
  return {
    id,
    policy: policy.id,
    threshold: policy.threshold,
    signers: policy.signers,
    type: m.type,
    target: m.target,
    version: m.version,
    manifestJson: m.canonical,
    digestHex: m.digestHex,
    expiresAt: m.expires,
    createdAt: now.toISOString(),
    createdBy,
    status: "pending",
    decidedAt: null,
    proofJson: null,
  };
}
