import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  createKmsKey,
  mockAwsConfig,
  startTestMockKms,
  type TestMockKms,
} from "../../../test/helpers/mock-kms.js";
import type { Alg } from "../../src/algorithms.js";
import { awsKmsBackendFactory } from "../../src/backends/awskms/create-awskms-backend.js";
import type { AwsKmsTuning } from "../../src/backends/awskms/kms-client.js";
import {
  type BackendTelemetry,
  BackendUnavailableError,
  type SigningBackend,
} from "../../src/backends/backend.js";

describe("awskms backend under injected faults (mock-kms)", () => {
  let kms: TestMockKms;
  const counts = { retries: 0, failures: [] as string[], circuit: [] as boolean[] };
  const telemetry: BackendTelemetry = {
    retried: () => void counts.retries++,
    failed: (_kind, errorKind) => void counts.failures.push(errorKind),
    circuitChanged: (_kind, _kid, open) => void counts.circuit.push(open),
  };
  before(async () => {
    kms = await startTestMockKms();
  });
  after(async () => kms?.close());
  beforeEach(() => {
    kms.setFaults({ latencyMs: 0, throttleRate: 0, failRate: 0 });
    counts.retries = 0;
    counts.failures = [];
    counts.circuit = [];
  });

  async function backend(alg: Alg, tuning: Partial<AwsKmsTuning> = {}): Promise<SigningBackend> {
    const { arn } = await createKmsKey(kms.client, alg);
    const key = {
      kid: `r-${alg}`,
      uri: `awskms:key-id=${arn}`,
      alg,
      status: "active" as const,
      description: "",
      usage: ["sign"],
      dev: false,
      emergency: false,
      source: "test",
    };
    return awsKmsBackendFactory(tuning)(key, {
      strict: false,
      dataDir: "/x",
      aws: mockAwsConfig(kms.url),
      telemetry,
    });
  }

  test("50% throttling: every signature still completes, through counted retries", async () => {
    const b = await backend("ecdsa-sha256", { maxAttempts: 14 });
    kms.setFaults({ throttleRate: 0.5 });
    const digests = Array.from({ length: 40 }, () => randomBytes(32));
    const sigs = await Promise.all(digests.map((d) => b.sign(d)));
    for (const [i, sig] of sigs.entries()) assert.equal(await b.verify(digests[i]!, sig), true);
    assert.ok(counts.retries > 5, `retries ${counts.retries}`);
    assert.deepEqual(counts.failures, []);
    await b.close();
  });

  test("500s are retried maxAttempts times, then BackendUnavailableError (server)", async () => {
    const b = await backend("hmac-sha256", { maxAttempts: 3, breakerThreshold: 100 });
    kms.setFaults({ failRate: 1 });
    await assert.rejects(
      b.sign(randomBytes(32)),
      (err: Error) => err instanceof BackendUnavailableError && /\(server\)/.test(err.message),
    );
    assert.equal(counts.retries, 2);
    assert.deepEqual(counts.failures, ["server"]);
    await b.close();
  });

  test("a hanging KMS is cut off by the per-attempt timeout and the call deadline", async () => {
    const b = await backend("ed25519", { requestTimeoutMs: 150, deadlineMs: 400, maxAttempts: 10 });
    kms.setFaults({ latencyMs: 5000 });
    const started = performance.now();
    await assert.rejects(b.sign(randomBytes(32)), /\(timeout\)/);
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    await b.close();
  });

  test("KMS down: the circuit opens and fails fast; after a restart it recovers by itself", async () => {
    const b = await backend("rsa-sha256", { breakerThreshold: 2, breakerCooldownMs: 300, maxAttempts: 2 });
    await kms.stop();
    for (let i = 0; i < 2; i++) await assert.rejects(b.sign(randomBytes(32)), /\(unreachable\)/);
    const started = performance.now();
    await assert.rejects(b.sign(randomBytes(32)), /circuit open/);
    await assert.rejects(b.healthCheck(), /circuit open/);
    assert.ok(performance.now() - started < 50, "fails fast while open");
    assert.deepEqual(counts.circuit, [false, true]);
    await kms.restart();
    await new Promise((r) => setTimeout(r, 350));
    await b.healthCheck();
    const digest = randomBytes(32);
    assert.equal(await b.verify(digest, await b.sign(digest)), true);
    assert.deepEqual(counts.circuit, [false, true, false]);
    await b.close();
  });
});
