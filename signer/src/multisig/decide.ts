import type { KeyStatus } from "../algorithms.js";
import type { MultisigPolicyConfig } from "../config/types.js";
import { SignerError } from "../errors.js";
import type {
  ApprovalMode,
  ApprovalRecord,
  LockedProposalState,
  MultisigWrites,
} from "../store/multisig-records.js";
import { pemFingerprint, samePolicy } from "./policy.js";

/** An approval about to be counted: the signature is already made or verified. */
export interface ApprovalCandidate {
  readonly kid: string;
  readonly alg: string;
  /** Base64 signature over the proposal digest; empty in a pre-check. */
  readonly signature: string;
  readonly approver: string;
  readonly mode: ApprovalMode;
}

/** What the decision needs besides the locked state. */
export interface DecisionContext {
  /** The trusted policy as configured now (undefined when it was removed). */
  readonly policy: MultisigPolicyConfig | undefined;
  readonly now: Date;
  /** Keys no manifest may retire or revoke (the audit key: the proxy could no longer audit). */
  readonly protectedKids: ReadonlySet<string>;
}

/** The result of one approval attempt. */
export type ApprovalOutcome =
  | { readonly kind: "refused"; readonly error: SignerError }
  | { readonly kind: "rejected"; readonly error: SignerError }
  | { readonly kind: "counted"; readonly counted: number; readonly approval: ApprovalRecord }
  | {
      readonly kind: "approved";
      readonly counted: number;
      readonly approval: ApprovalRecord;
      readonly keyStatuses: readonly { readonly kid: string; readonly status: KeyStatus }[];
    };

/** The kids whose records a decision reads: the policy's signers and the manifest's keys. */
export function decisionKids(signers: readonly string[], manifestJson: string): string[] {
  const m = JSON.parse(manifestJson) as { kid?: unknown; replaces?: unknown };
  const extra = [m.kid, m.replaces].filter((k): k is string => typeof k === "string");
  return [...new Set([...signers, ...extra])];
}

const refuse = (code: "ERR_FORBIDDEN" | "ERR_CONFLICT" | "ERR_KEY_NOT_ACTIVE", message: string) => ({
  writes: {},
  result: { kind: "refused", error: new SignerError(code, message) } as ApprovalOutcome,
});

function reject(message: string, now: Date): { writes: MultisigWrites; result: ApprovalOutcome } {
  return {
    writes: { decision: { status: "rejected", decidedAt: now.toISOString(), proofJson: null } },
    result: { kind: "rejected", error: new SignerError("ERR_CONFLICT", `proposal rejected: ${message}`) },
  };
}

/**
 * Decide one approval against the locked proposal state (pure; the store applies the writes). Each
 * distinct, non-revoked public key of the policy counts once; reaching the threshold approves the
 * proposal, freezes its proof and applies its key rotation in the same transaction.
 */
export function decide(
  state: LockedProposalState,
  candidate: ApprovalCandidate,
  ctx: DecisionContext,
): { writes: MultisigWrites; result: ApprovalOutcome } {
  const { proposal, approvals, keys } = state;
  // Only the policy's signer set may approve: anyone else's signature proves nothing.
  if (!proposal.signers.includes(candidate.kid)) {
    return refuse("ERR_FORBIDDEN", `key ${candidate.kid} is not a signer of policy ${proposal.policy}`);
  }
  const key = keys.get(candidate.kid);
  // A revoked key's word is worthless; it must not count toward any threshold.
  if (key === undefined || key.status === "revoked" || key.publicKeyPem === null) {
    return refuse("ERR_FORBIDDEN", `key ${candidate.kid} is revoked and cannot approve`);
  }
  // Candidates and retired keys sign nothing, approvals included.
  if (key.status !== "active") return refuse("ERR_KEY_NOT_ACTIVE", `key ${candidate.kid} is ${key.status}`);
  if (proposal.status !== "pending") return refuse("ERR_CONFLICT", `proposal is already ${proposal.status}`);
  // An expired proposal is closed: late approvals could revive a decision nobody still stands by.
  if (ctx.now.getTime() >= Date.parse(proposal.expiresAt))
    return refuse("ERR_CONFLICT", "proposal has expired");
  // The threshold and signer set must still be the trusted ones the proof will be checked against.
  if (ctx.policy === undefined || !samePolicy(ctx.policy, proposal)) {
    return reject(`policy ${proposal.policy} changed since the proposal was made`, ctx.now);
  }
  const fingerprint = pemFingerprint(key.publicKeyPem);
  // Each public key counts once, whichever kid it is registered under.
  if (approvals.some((a) => a.kid === candidate.kid || a.keyFingerprint === fingerprint)) {
    return refuse("ERR_CONFLICT", `key ${candidate.kid} has already approved this proposal`);
  }
  // Rollback protection: nothing at or below an approved version of this target can be approved.
  if (state.lastApprovedVersion !== null && proposal.version <= state.lastApprovedVersion) {
    return reject(
      `version ${proposal.version} is not above approved version ${state.lastApprovedVersion}`,
      ctx.now,
    );
  }
  const approval: ApprovalRecord = {
    proposalId: proposal.id,
    seq: approvals.length,
    ...candidate,
    keyFingerprint: fingerprint,
    createdAt: ctx.now.toISOString(),
  };
  const manifest = JSON.parse(proposal.manifestJson) as Record<string, unknown>;
  const counted = countable([...approvals, approval], state, manifest);
  if (counted.length < proposal.threshold) {
    return { writes: { approval }, result: { kind: "counted", counted: counted.length, approval } };
  }
  const rotation = keyRotation(manifest, state, ctx);
  if (typeof rotation === "string") return reject(rotation, ctx.now);
  const proof = {
    policy: proposal.policy,
    digestHex: proposal.digestHex,
    threshold: proposal.threshold,
    signatures: counted.map((a) => ({ kid: a.kid, alg: a.alg, signature: a.signature })),
    manifest,
  };
  return {
    writes: {
      approval,
      decision: { status: "approved", decidedAt: ctx.now.toISOString(), proofJson: JSON.stringify(proof) },
      keyStatuses: rotation,
    },
    result: { kind: "approved", counted: counted.length, approval, keyStatuses: rotation },
  };
}

/** Approvals that count: non-revoked keys, one per public key, never the key a revocation removes. */
function countable(
  all: readonly ApprovalRecord[],
  state: LockedProposalState,
  manifest: Record<string, unknown>,
): ApprovalRecord[] {
  const seen = new Set<string>();
  return all.filter((a) => {
    const status = state.keys.get(a.kid)?.status;
    // The key being revoked cannot vote itself out: its signature would stop verifying right after.
    if (manifest.type === "key-revocation" && manifest.kid === a.kid) return false;
    if (status === undefined || status === "revoked" || seen.has(a.keyFingerprint)) return false;
    seen.add(a.keyFingerprint);
    return true;
  });
}

/** The key status changes of an approved key manifest, or why they cannot apply now. */
function keyRotation(
  manifest: Record<string, unknown>,
  state: LockedProposalState,
  ctx: DecisionContext,
): { kid: string; status: KeyStatus }[] | string {
  const kid = typeof manifest.kid === "string" ? manifest.kid : undefined;
  const replaces = typeof manifest.replaces === "string" ? manifest.replaces : undefined;
  if (manifest.type === "key-promotion" && kid !== undefined) {
    const status = state.keys.get(kid)?.status;
    // Only a candidate becomes active this way; anything else means the state moved on.
    if (status !== "candidate") return `key ${kid} is ${status ?? "not registered"}, not a candidate`;
    const out: { kid: string; status: KeyStatus }[] = [{ kid, status: "active" }];
    if (replaces !== undefined) {
      const old = state.keys.get(replaces)?.status;
      if (old === undefined) return `key ${replaces} is not registered`;
      if (ctx.protectedKids.has(replaces)) return `key ${replaces} is the audit key and cannot be retired`;
      // A revoked key stays revoked: retiring it would make its signatures verify again.
      if (old !== "revoked") out.push({ kid: replaces, status: "retired" });
    }
    return out;
  }
  if (manifest.type === "key-revocation" && kid !== undefined) {
    const status = state.keys.get(kid)?.status;
    if (status === undefined) return `key ${kid} is not registered`;
    if (ctx.protectedKids.has(kid)) return `key ${kid} is the audit key and cannot be revoked`;
    return status === "revoked" ? [] : [{ kid, status: "revoked" }];
  }
  return [];
}
