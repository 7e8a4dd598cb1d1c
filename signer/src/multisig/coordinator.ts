import { randomUUID } from "node:crypto";
import type { MultisigProof } from "@signing-proxy/client-sdk";
import type { AuditLog } from "../audit/audit-log.js";
import type { Permission } from "../auth/permissions.js";
import type { Principal } from "../auth/principal.js";
import type { MultisigPolicyConfig } from "../config/types.js";
import { SignerError } from "../errors.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { ProposalState } from "../store/multisig-records.js";
import type { Store } from "../store/store.js";
import { approvalSignature } from "./approval-signature.js";
import { MultisigAuditTrail } from "./audit-trail.js";
import {
  type ApprovalCandidate,
  type ApprovalOutcome,
  type DecisionContext,
  decide,
  decisionKids,
} from "./decide.js";
import { checkKeyManifest, type Subject, unknownProposal } from "./guards.js";
import { parseManifest } from "./manifest.js";
import { validatePolicies } from "./policy.js";
import { claimedDigest, type MultisigVerifyResult, verifyWithPolicies } from "./verify-proof.js";
import { newProposal, type ProposalCreated, type ProposalView, proposalView, storedProof } from "./views.js";

/** What the coordinator works with; policies come from the trusted config, never from requests. */
export interface MultisigDeps {
  readonly policies: readonly MultisigPolicyConfig[];
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  /** Keys no manifest may retire or revoke (the audit key). */
  readonly protectedKids?: readonly string[];
  /** The clock (tests move it). */
  readonly now?: () => Date;
}

const READ_PERMISSIONS: readonly Permission[] = ["multisig:propose", "multisig:approve", "audit:read"];

/**
 * The M-of-N coordinator: proposals over canonical manifests, approvals counted per distinct public
 * key, a proof frozen at the threshold, key rotation applied in the same transaction, and an audit
 * event for every proposal, approval, refusal, decision and proof release.
 */
export class MultisigCoordinator {
  readonly #deps: MultisigDeps;
  readonly #now: () => Date;
  readonly #protected: ReadonlySet<string>;
  readonly #trail: MultisigAuditTrail;

  private constructor(deps: MultisigDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#protected = new Set(deps.protectedKids ?? []);
    this.#trail = new MultisigAuditTrail(deps.audit);
  }

  /** Check the policies against the registry (refuses start-up on a bad one) and build the coordinator. */
  static async create(deps: MultisigDeps): Promise<MultisigCoordinator> {
    validatePolicies(deps.policies, await deps.registry.list());
    return new MultisigCoordinator(deps);
  }

  /** POST /multisig/proposals: validate, digest, persist, audit. */
  async propose(
    who: Principal,
    policyId: string,
    manifest: unknown,
    requestId: string,
  ): Promise<ProposalCreated> {
    const subject: Subject = { op: "multisig.propose", kid: null, digestHex: null };
    return this.#trail.audited(who, requestId, subject, async () => {
      this.#require(who, ["multisig:propose"]);
      const policy = this.#policy(policyId);
      if (policy === undefined) throw new SignerError("ERR_NOT_FOUND", `no multisig policy ${policyId}`);
      const now = this.#now();
      const m = parseManifest(manifest, now.getTime());
      subject.digestHex = m.digestHex;
      subject.kid = m.kid ?? null;
      await checkKeyManifest(this.#deps.registry, m, this.#protected);
      const last = await this.#deps.store.lastApprovedVersion(m.target);
      // Rollback protection: a version at or below an approved one would replay or undo it.
      if (last !== null && m.version <= last) {
        throw new SignerError(
          "ERR_CONFLICT",
          `version ${m.version} is not above approved version ${last} of ${m.target}`,
        );
      }
      const record = newProposal(randomUUID(), policy, m, who.id, now);
      await this.#deps.store.insertProposal(record);
      await this.#trail.record([this.#trail.event(who, requestId, subject, "ok")]);
      return {
        id: record.id,
        digestHex: m.digestHex,
        threshold: policy.threshold,
        signers: policy.signers,
        status: "pending",
      };
    });
  }

  /** GET /multisig/proposals/:id. */
  async get(who: Principal, id: string): Promise<ProposalView> {
    this.#require(who, READ_PERMISSIONS);
    return proposalView(await this.#load(id), this.#now());
  }

  /**
   * POST /multisig/proposals/:id/approvals: the caller approves with a kid it owns, by a signature
   * the proxy makes or a detached one it checks; counted under the proposal's lock.
   */
  async approve(
    who: Principal,
    id: string,
    body: { readonly kid: string; readonly signature?: string | undefined },
    requestId: string,
  ): Promise<ProposalView> {
    const subject: Subject = { op: "multisig.approve", kid: body.kid, digestHex: null };
    return this.#trail.audited(who, requestId, subject, async () => {
      this.#require(who, ["multisig:approve"]);
      // Only the kids granted to the caller; a non-owner learns nothing about the proposal.
      if (!who.keys.has(body.kid))
        throw new SignerError("ERR_FORBIDDEN", `principal ${who.id} may not use key ${body.kid}`);
      const state = await this.#load(id);
      const { proposal } = state;
      subject.digestHex = proposal.digestHex;
      const kids = decisionKids(proposal.signers, proposal.manifestJson);
      const probe: ApprovalCandidate = {
        kid: body.kid,
        alg: "",
        signature: "",
        approver: who.id,
        mode: "proxy",
      };
      const pre = await this.#precheck(state, kids, probe);
      let outcome: ApprovalOutcome;
      // Refuse before signing: no signature over a manifest that cannot be approved now.
      if (pre.kind === "refused") throw pre.error;
      if (pre.kind === "rejected") outcome = await this.#decide(state, kids, probe, true);
      else {
        const made = await approvalSignature(
          this.#deps.registry,
          body.kid,
          proposal.digestHex,
          body.signature,
        );
        outcome = await this.#decide(state, kids, { kid: body.kid, ...made, approver: who.id });
      }
      if (outcome.kind === "refused") throw outcome.error;
      if (outcome.kind === "rejected") {
        const rejected = { ...subject, op: "multisig.rejected", kid: null };
        await this.#trail.record([this.#trail.event(who, requestId, rejected, "rejected")]);
        throw outcome.error;
      }
      // Fail closed: the caller hears of the approval only once its audit events are committed.
      await this.#trail.record(
        this.#trail.approvalEvents(who, requestId, subject, outcome, proposal.threshold),
      );
      return proposalView(await this.#load(id), this.#now());
    });
  }

  /** GET /multisig/proposals/:id/proof: the frozen proof; 409 until the proposal is approved. */
  async proof(who: Principal, id: string, requestId: string): Promise<MultisigProof> {
    const subject: Subject = { op: "multisig.proof", kid: null, digestHex: null };
    return this.#trail.audited(who, requestId, subject, async () => {
      this.#require(who, READ_PERMISSIONS);
      const state = await this.#load(id);
      subject.digestHex = state.proposal.digestHex;
      const proof = storedProof(state.proposal);
      if (proof === null) {
        const status = proposalView(state, this.#now()).status;
        throw new SignerError(
          "ERR_CONFLICT",
          `proposal is ${status}; a proof exists only once it is approved`,
        );
      }
      await this.#trail.record([this.#trail.event(who, requestId, subject, "ok")]);
      return proof;
    });
  }

  /** POST /multisig/verify: threshold and signer set from the trusted policy named by the proof. */
  async verify(who: Principal, proof: unknown, requestId: string): Promise<MultisigVerifyResult> {
    this.#require(who, ["verify"]);
    const result = await verifyWithPolicies(this.#deps.policies, this.#deps.registry, proof);
    const subject: Subject = { op: "multisig.verify", kid: null, digestHex: claimedDigest(proof) };
    await this.#trail.record([
      this.#trail.event(who, requestId, subject, result.valid ? "valid" : "invalid"),
    ]);
    return result;
  }

  async #precheck(
    state: ProposalState,
    kids: readonly string[],
    candidate: ApprovalCandidate,
  ): Promise<ApprovalOutcome> {
    const records = await this.#deps.registry.list();
    const keys = new Map(records.filter((r) => kids.includes(r.kid)).map((r) => [r.kid, r]));
    const lastApprovedVersion = await this.#deps.store.lastApprovedVersion(state.proposal.target);
    return decide({ ...state, keys, lastApprovedVersion }, candidate, this.#context(state.proposal.policy))
      .result;
  }

  /** Decide under the store's lock; `rejectOnly` writes a rejection and never an (unsigned) approval. */
  async #decide(
    state: ProposalState,
    kids: readonly string[],
    candidate: ApprovalCandidate,
    rejectOnly = false,
  ): Promise<ApprovalOutcome> {
    const { id } = state.proposal;
    const ctx = this.#context(state.proposal.policy);
    const outcome = await this.#deps.store.decideApproval(id, kids, (locked) => {
      const decided = decide(locked, candidate, ctx);
      if (!rejectOnly || decided.result.kind === "rejected" || decided.result.kind === "refused")
        return decided;
      // The state moved since the pre-check; an unsigned probe must never be written or reported as counted.
      const retry = new SignerError("ERR_CONFLICT", "the proposal changed meanwhile; retry the approval");
      return { writes: {}, result: { kind: "refused", error: retry } as ApprovalOutcome };
    });
    if (outcome === null) throw unknownProposal(id);
    return outcome;
  }

  #context(policyId: string): DecisionContext {
    return { policy: this.#policy(policyId), now: this.#now(), protectedKids: this.#protected };
  }

  #policy(id: string): MultisigPolicyConfig | undefined {
    return this.#deps.policies.find((p) => p.id === id);
  }

  async #load(id: string): Promise<ProposalState> {
    const state = await this.#deps.store.getProposal(id);
    if (state === null) throw unknownProposal(id);
    return state;
  }

  #require(who: Principal, any: readonly Permission[]): void {
    // Roles first: a principal without the permission learns nothing about proposals.
    if (!any.some((p) => who.permissions.has(p))) {
      throw new SignerError("ERR_FORBIDDEN", `principal ${who.id} lacks ${any.join(" or ")}`);
    }
  }
}
