// When a failed call is retried, and how long to wait first.

/** How the client retries; every field has a default (DEFAULT_RETRY_POLICY). */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `retries + 1` attempts). */
  readonly retries: number;
  /** First backoff ceiling; it doubles per retry up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A server's Retry-After is honoured up to this many milliseconds. */
  readonly maxRetryAfterMs: number;
}

/** Two retries, 100 ms → 2 s backoff ceilings with full jitter, Retry-After honoured up to 5 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 2,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  maxRetryAfterMs: 5000,
});

/**
 * Whether a route may be repeated after a failure whose outcome is unknown (a reset or timeout
 * after the request left): `repeatable` for reads, verification and signing (a repeated sign just
 * signs again and is audited again), `once` for multisig proposals and approvals.
 */
export type RouteSafety = "repeatable" | "once";

/** What went wrong with one attempt, as far as retrying is concerned. */
export type AttemptFailure =
  | { readonly kind: "status"; readonly status: number }
  /** The connection never carried the request (refused, DNS, connect timeout). */
  | { readonly kind: "not-sent" }
  /** The request may have reached the server (reset, closed socket, attempt timeout). */
  | { readonly kind: "maybe-sent" }
  /** Retrying cannot help (TLS verification failed, the answer was unreadable, the client was closed). */
  | { readonly kind: "final" };

/**
 * True when the failure is worth another attempt: 503 (backend/store/audit unavailable, overload)
 * and 429 always — the server did not do the work; a connection that never carried the request
 * always; an unknown outcome only on a repeatable route. Anything else (4xx, 500) is final.
 */
export function isRetryable(failure: AttemptFailure, safety: RouteSafety): boolean {
  switch (failure.kind) {
    case "status":
      return failure.status === 503 || failure.status === 429;
    case "not-sent":
      return true;
    case "maybe-sent":
      return safety === "repeatable";
    case "final":
      return false;
  }
}

/**
 * Milliseconds to wait before retry number `retry` (0 for the first retry). Without Retry-After:
 * full jitter, uniform in [0, min(maxDelayMs, baseDelayMs · 2^retry)). With it: the server's delay
 * capped at maxRetryAfterMs, plus up to baseDelayMs of jitter so clients told the same delay spread.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) {
    return Math.min(retryAfterMs, policy.maxRetryAfterMs) + random() * policy.baseDelayMs;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return random() * ceiling;
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds: delay-seconds or an HTTP-date; undefined when
 * absent or unreadable, 0 for a date in the past.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  // Only an IMF-fixdate-like text counts as a date; "1.5" or "-3" must not parse as one.
  if (!/[A-Za-z]{3}/.test(trimmed) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The policy with `overrides` applied, each value checked (a bad policy is a programming error). */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`retry ${name} must be a non-negative integer`);
    }
  }
  if (policy.retries > 10) throw new RangeError("retries must be at most 10");
  return Object.freeze(policy);
}
