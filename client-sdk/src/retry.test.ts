import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AttemptFailure,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  resolveRetryPolicy,
  retryDelayMs,
} from "./retry.js";

describe("which failures are retried", () => {
  const cases: ReadonlyArray<readonly [AttemptFailure, boolean, boolean]> = [
    // failure, retried on a repeatable route, retried on a once-only route
    [{ kind: "status", status: 503 }, true, true],
    [{ kind: "status", status: 429 }, true, true],
    [{ kind: "status", status: 500 }, false, false],
    [{ kind: "status", status: 502 }, false, false],
    [{ kind: "status", status: 400 }, false, false],
    [{ kind: "status", status: 401 }, false, false],
    [{ kind: "status", status: 403 }, false, false],
    [{ kind: "status", status: 409 }, false, false],
    [{ kind: "not-sent" }, true, true],
    [{ kind: "maybe-sent" }, true, false],
    [{ kind: "final" }, false, false],
  ];
  for (const [failure, repeatable, once] of cases) {
    test(`${JSON.stringify(failure)}: repeatable ${repeatable}, once ${once}`, () => {
      assert.equal(isRetryable(failure, "repeatable"), repeatable);
      assert.equal(isRetryable(failure, "once"), once);
    });
  }
});

describe("backoff", () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });

  test("full jitter: uniform in [0, min(max, base·2^n))", () => {
    assert.equal(
      retryDelayMs(0, undefined, policy, () => 0),
      0,
    );
    assert.equal(
      retryDelayMs(0, undefined, policy, () => 0.999999),
      99.9999,
    );
    assert.equal(
      retryDelayMs(1, undefined, policy, () => 0.5),
      100,
    );
    assert.equal(
      retryDelayMs(3, undefined, policy, () => 0.5),
      400,
    );
    assert.equal(
      retryDelayMs(10, undefined, policy, () => 0.5),
      500,
      "capped at maxDelayMs",
    );
    for (let i = 0; i < 1000; i++) {
      const d = retryDelayMs(2, undefined, policy);
      assert.ok(d >= 0 && d < 400, String(d));
    }
  });

  test("Retry-After is honoured, capped at maxRetryAfterMs, with at most baseDelayMs of jitter", () => {
    assert.equal(
      retryDelayMs(0, 2000, policy, () => 0),
      2000,
    );
    assert.equal(
      retryDelayMs(0, 2000, policy, () => 0.5),
      2050,
    );
    assert.equal(
      retryDelayMs(0, 3_600_000, policy, () => 0),
      5000,
    );
    assert.equal(
      retryDelayMs(5, 0, policy, () => 0),
      0,
    );
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  test("delay-seconds and HTTP-dates", () => {
    assert.equal(parseRetryAfter("1", now), 1000);
    assert.equal(parseRetryAfter(" 30 ", now), 30_000);
    assert.equal(parseRetryAfter(["2", "9"], now), 2000);
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now), 0, "a date in the past");
  });
  test("absent or unreadable is undefined, never NaN or negative", () => {
    for (const bad of [undefined, "", "-1", "1.5", "soon", "1e3", "0x10"]) {
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
    }
  });
});

describe("resolveRetryPolicy", () => {
  test("defaults, and overrides field by field", () => {
    assert.deepEqual(resolveRetryPolicy(undefined), DEFAULT_RETRY_POLICY);
    assert.equal(resolveRetryPolicy({ retries: 0 }).retries, 0);
    assert.equal(resolveRetryPolicy({ retries: 0 }).baseDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs);
  });
  test("refuses negative, fractional and unbounded values", () => {
    for (const bad of [{ retries: -1 }, { retries: 1.5 }, { retries: 11 }, { baseDelayMs: Number.NaN }]) {
      assert.throws(() => resolveRetryPolicy(bad), RangeError, JSON.stringify(bad));
    }
  });
});
