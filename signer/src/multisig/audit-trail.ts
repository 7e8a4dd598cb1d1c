import type { AuditLog } from "../audit/audit-log.js";
import type { AuditInput } from "../audit/event.js";
import type { Principal } from "../auth/principal.js";
import { isSignerError } from "../errors.js";
import type { ApprovalOutcome } from "./decide.js";
import type { Subject } from "./guards.js";

/**
 * The multisig audit events (docs/multisig.md): `multisig.propose`, `multisig.approve` (the signer
 * kid and the approving principal), `multisig.approved`, `keys.<status>` per rotated key,
 * `multisig.rejected`, `multisig.proof`, `multisig.verify`, and `multisig.refused` for every
 * refusal; each carries the proposal digest.
 */
export class MultisigAuditTrail {
  readonly #audit: AuditLog;

  constructor(audit: AuditLog) {
    this.#audit = audit;
  }

  /** One event about `subject`. */
  event(who: Principal, requestId: string, subject: Subject, result: string): AuditInput {
    return {
      principal: who.id,
      op: subject.op,
      kid: subject.kid,
      alg: null,
      digestHex: subject.digestHex,
      requestId,
      result,
    };
  }

  /** Commit events; throws ERR_AUDIT_UNAVAILABLE when they cannot be committed (fail closed). */
  async record(events: readonly AuditInput[]): Promise<void> {
    await this.#audit.record(events);
  }

  /** The events of an accepted approval: the approval, and at the threshold the decision and key changes. */
  approvalEvents(
    who: Principal,
    requestId: string,
    subject: Subject,
    outcome: Extract<ApprovalOutcome, { kind: "counted" | "approved" }>,
    threshold: number,
  ): AuditInput[] {
    const { approval } = outcome;
    const events: AuditInput[] = [
      { ...this.event(who, requestId, subject, `ok:${approval.mode}`), alg: approval.alg },
    ];
    if (outcome.kind === "approved") {
      const done = { ...subject, op: "multisig.approved", kid: null };
      events.push(this.event(who, requestId, done, `approved:${outcome.counted}/${threshold}`));
      for (const change of outcome.keyStatuses) {
        // Each key state change is its own event, so a key's history reads straight from the log.
        const keyEvent = { ...subject, op: `keys.${change.status}`, kid: change.kid };
        events.push(this.event(who, requestId, keyEvent, "ok"));
      }
    }
    return events;
  }

  /** Run `fn`; a refusal (4xx) is audited as `multisig.refused` before it reaches the caller. */
  async audited<T>(who: Principal, requestId: string, subject: Subject, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isSignerError(err) && err.status < 500) {
        const refused = { ...subject, op: "multisig.refused" };
        await this.record([this.event(who, requestId, refused, `refused:${subject.op}:${err.code}`)]);
      }
      throw err;
    }
  }
}
