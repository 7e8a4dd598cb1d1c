// memory_audit_sign_failures_total without a dependency on prom-client: a prom-client Counter fits
// the CounterLike shape and can be passed instead of the built-in counter.

/** The metric's name. */
export const SIGN_FAILURES_METRIC = "memory_audit_sign_failures_total";
/** The metric's help text. */
export const SIGN_FAILURES_HELP = "Audit events not written because the signing proxy did not sign them";

/** Why a sign failed: the proxy was unreachable or said retry later, refused, or answered nonsense. */
export type SignFailureReason = "unavailable" | "refused" | "invalid_response" | "error";

/**
 * Anything with prom-client's `Counter#inc(labels)` shape, e.g.
 * `new Counter({ name: SIGN_FAILURES_METRIC, help: SIGN_FAILURES_HELP, labelNames: ["reason"] })`.
 */
export interface CounterLike {
  inc(labels: { reason: SignFailureReason }): void;
}

/** An in-process counter by reason that renders itself in the Prometheus text format. */
export class SignFailureCounter implements CounterLike {
  private readonly counts = new Map<SignFailureReason, number>();

  /** Count one failure. */
  inc(labels: { reason: SignFailureReason }): void {
    this.counts.set(labels.reason, (this.counts.get(labels.reason) ?? 0) + 1);
  }

  /** Failures so far, for one reason or in total. */
  value(reason?: SignFailureReason): number {
    if (reason !== undefined) return this.counts.get(reason) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  /** The metric in Prometheus text exposition format, to append to a service's /metrics body. */
  prometheusText(): string {
    const lines = [
      `# HELP ${SIGN_FAILURES_METRIC} ${SIGN_FAILURES_HELP}`,
      `# TYPE ${SIGN_FAILURES_METRIC} counter`,
    ];
    for (const [reason, n] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${SIGN_FAILURES_METRIC}{reason="${reason}"} ${n}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

/** The counter insertAuditEvent uses when the caller passes none. */
export const signFailures = new SignFailureCounter();
