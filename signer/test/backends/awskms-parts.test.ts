import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitState,
} from "../../src/backends/awskms/circuit-breaker.js";
import { classifyKmsError } from "../../src/backends/awskms/classify-error.js";
import { keyMetadataProblem } from "../../src/backends/awskms/key-spec.js";
import { JitterRetryStrategy, type KmsRetryToken } from "../../src/backends/awskms/retry-strategy.js";

const boom = () => Promise.reject(new Error("down"));
const always = () => true;

describe("CircuitBreaker", () => {
  let now = 0;
  const states: CircuitState[] = [];
  const breaker = () =>
    new CircuitBreaker({
      threshold: 3,
      cooldownMs: 1000,
      now: () => now,
      onStateChange: (s) => states.push(s),
    });
  beforeEach(() => {
    now = 0;
    states.length = 0;
  });

  test("opens after N consecutive failures and then fails fast without calling out", async () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) await assert.rejects(b.run(boom, always), /down/);
    assert.equal(b.state, "open");
    let called = false;
    const work = async () => {
      called = true;
    };
    now = 400;
    await assert.rejects(
      b.run(work, always),
      (err: unknown) => err instanceof CircuitOpenError && err.retryAfterMs === 600,
    );
    assert.equal(called, false);
  });

  test("a success or a non-outage error resets the count", async () => {
    const b = breaker();
    await assert.rejects(b.run(boom, always));
    await assert.rejects(b.run(boom, always));
    await assert.rejects(b.run(boom, () => false));
    await assert.rejects(b.run(boom, always));
    await b.run(async () => 1, always);
    await assert.rejects(b.run(boom, always));
    assert.equal(b.state, "closed");
  });

  test("after the cool-down one probe goes through; success closes, failure reopens", async () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) await assert.rejects(b.run(boom, always));
    now = 1000;
    assert.equal(b.state, "half-open");
    await assert.rejects(b.run(boom, always), /down/);
    assert.equal(b.state, "open", "a failed probe reopens at once");
    now = 2000;
    let release!: () => void;
    const probe = b.run(() => new Promise<void>((r) => (release = r)), always);
    // While the probe is in flight, everyone else still fails fast.
    await assert.rejects(
      b.run(async () => 1, always),
      CircuitOpenError,
    );
    release();
    await probe;
    assert.equal(b.state, "closed");
    assert.deepEqual(states, ["open", "half-open", "open", "half-open", "closed"]);
  });
});

describe("JitterRetryStrategy", () => {
  const refresh = (s: JitterRetryStrategy, t: KmsRetryToken, errorType: string) =>
    s.refreshRetryTokenForRetry(t, { errorType });

  test("retries throttling, transient and 5xx up to maxAttempts, with full-jitter delays", async () => {
    let retries = 0;
    const s = new JitterRetryStrategy({
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 0.999,
      onRetry: () => retries++,
    });
    let t = await s.acquireInitialRetryToken("");
    const delays: number[] = [];
    for (const type of ["THROTTLING", "TRANSIENT", "SERVER_ERROR"]) {
      t = await refresh(s, t, type);
      delays.push(t.getRetryDelay());
    }
    assert.deepEqual(delays, [199, 299, 299]);
    await assert.rejects(refresh(s, t, "THROTTLING"), /no attempts left/);
    assert.equal(retries, 3);
  });

  test("never retries client errors", async () => {
    const s = new JitterRetryStrategy({ maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 });
    await assert.rejects(refresh(s, await s.acquireInitialRetryToken(""), "CLIENT_ERROR"), /not retried/);
  });
});

describe("classifyKmsError and keyMetadataProblem", () => {
  test("outages are transient; answers are not; summaries hold no messages", () => {
    const sdk = (name: string, status?: number, extra: object = {}) =>
      Object.assign(new Error("secret-ish message"), {
        name,
        $metadata: { httpStatusCode: status, attempts: 2 },
        ...extra,
      });
    assert.deepEqual(
      [
        sdk("ThrottlingException", 400),
        sdk("KMSInternalException", 500),
        sdk("TimeoutError"),
        sdk("Error", undefined, { code: "ECONNREFUSED" }),
      ].map((e) => [classifyKmsError(e).kind, classifyKmsError(e).transient]),
      [
        ["throttled", true],
        ["server", true],
        ["timeout", true],
        ["unreachable", true],
      ],
    );
    for (const [name, kind] of [
      ["DisabledException", "disabled"],
      ["NotFoundException", "not-found"],
      ["AccessDeniedException", "access-denied"],
      ["ValidationException", "client"],
    ]) {
      const c = classifyKmsError(sdk(name!, 400));
      assert.deepEqual([c.kind, c.transient], [kind, false]);
      assert.ok(!c.summary.includes("secret-ish"), c.summary);
    }
  });

  test("key usage and missing algorithms are reported", () => {
    const base = {
      KeyId: "k",
      KeyState: "Enabled",
      Enabled: true,
      KeySpec: "RSA_2048",
      KeyUsage: "SIGN_VERIFY",
    } as const;
    assert.match(
      keyMetadataProblem("rsa-sha256", { ...base, KeyUsage: "ENCRYPT_DECRYPT" }) ?? "",
      /usage is ENCRYPT_DECRYPT \(expected SIGN_VERIFY\)/,
    );
    assert.match(
      keyMetadataProblem("rsa-sha256", { ...base, SigningAlgorithms: ["RSASSA_PSS_SHA_256"] }) ?? "",
      /does not offer .*RSASSA_PKCS1_V1_5_SHA_256/,
    );
    assert.equal(
      keyMetadataProblem("rsa-sha256", { ...base, SigningAlgorithms: ["RSASSA_PKCS1_V1_5_SHA_256"] }),
      undefined,
    );
  });
});
