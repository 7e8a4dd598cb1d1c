import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SigningProxyError } from "@signing-proxy/client-sdk";
import { Counter, Registry } from "prom-client";
import {
  assertSignerConfigured,
  getAuditHealth,
  SIGN_FAILURES_HELP,
  SIGN_FAILURES_METRIC,
  SignerConfigurationError,
  SignFailureCounter,
} from "../src/index.js";
import { fakeSigner } from "./fake-signer.js";

describe("assertSignerConfigured", () => {
  const strictEnvs = [
    { NODE_ENV: "production" },
    { NODE_ENV: " Production " },
    { REQUIRE_KMS: "true" },
    { REQUIRE_KMS: "1" },
  ];

  test("strict mode without any signer variable refuses, naming the variables to set", () => {
    for (const env of [...strictEnvs, { NODE_ENV: "production", SIGNING_PROXY_URL: "" }]) {
      assert.throws(
        () => assertSignerConfigured(env),
        (err: unknown) =>
          err instanceof SignerConfigurationError &&
          err.code === "ERR_SIGNER_NOT_CONFIGURED" &&
          /SIGNING_PROXY_URL/.test(err.message) &&
          /AUDIT_SIGNING_KMS_KEY_ID/.test(err.message) &&
          /AUDIT_SIGNING_PRIVATE_KEY/.test(err.message),
        JSON.stringify(env),
      );
    }
  });

  test("strict mode with any one of the three passes and says which", () => {
    for (const env of strictEnvs) {
      assert.deepEqual(assertSignerConfigured({ ...env, SIGNING_PROXY_URL: "https://signer:8081" }), {
        strict: true,
        signer: "signing-proxy",
      });
      assert.equal(assertSignerConfigured({ ...env, AUDIT_SIGNING_KMS_KEY_ID: "arn:x" }).signer, "kms");
      assert.equal(
        assertSignerConfigured({ ...env, AUDIT_SIGNING_PRIVATE_KEY: "file:/k.pem" }).signer,
        "private-key",
      );
    }
  });

  test("outside strict mode nothing is required", () => {
    for (const env of [{}, { NODE_ENV: "development" }, { REQUIRE_KMS: "false" }, { REQUIRE_KMS: "0" }]) {
      assert.deepEqual(assertSignerConfigured(env), { strict: false, signer: "none" });
    }
  });

  test("a malformed REQUIRE_KMS is an error, never a silent 'off'", () => {
    for (const value of ["yes", "on", "TRUE1", "2"]) {
      assert.throws(() => assertSignerConfigured({ REQUIRE_KMS: value }), SignerConfigurationError, value);
    }
  });
});

describe("getAuditHealth", () => {
  test("ok when /keys answers with an active key; no signature is made by default", async () => {
    const signer = fakeSigner();
    const health = await getAuditHealth({ signer });
    assert.deepEqual(health, { ok: true, detail: "signing proxy reachable over mTLS; 1 active key(s)" });
    assert.equal(signer.calls, 0, "probes do not flood the proxy's audit log");
  });

  test("sign: true also signs the fixed probe digest", async () => {
    const signer = fakeSigner("k1");
    assert.deepEqual(await getAuditHealth({ signer, sign: true }), {
      ok: true,
      detail: "signing proxy reachable over mTLS; probe signed by k1",
    });
    assert.equal(signer.calls, 1);
  });

  test("not ok, with the error code only, when the proxy is down or has no active key", async () => {
    const down = fakeSigner();
    down.failWith = new SigningProxyError(
      "ERR_CONNECTION",
      "connection refused to 10.0.0.1:8081 (secret detail)",
    );
    assert.deepEqual(await getAuditHealth({ signer: down }), {
      ok: false,
      detail: "signing proxy unavailable: ERR_CONNECTION",
    });
    const base = fakeSigner();
    const retired = { signers: base.keys.signers.map((s) => ({ ...s, status: "retired" as const })) };
    const none = { ...base, getKeys: async () => retired };
    assert.equal((await getAuditHealth({ signer: none })).ok, false);
  });

  test("a hanging proxy is reported within timeoutMs", async () => {
    const hang = { ...fakeSigner(), getKeys: () => new Promise<never>(() => {}) };
    const started = Date.now();
    const health = await getAuditHealth({ signer: hang, timeoutMs: 50 });
    assert.equal(health.ok, false);
    assert.match(health.detail, /50 ms/);
    assert.ok(Date.now() - started < 1000);
  });
});

describe(SIGN_FAILURES_METRIC, () => {
  test("the built-in counter renders Prometheus text by reason", () => {
    const c = new SignFailureCounter();
    c.inc({ reason: "unavailable" });
    c.inc({ reason: "unavailable" });
    c.inc({ reason: "refused" });
    assert.equal(c.value(), 3);
    assert.equal(c.value("unavailable"), 2);
    assert.equal(
      c.prometheusText(),
      `# HELP ${SIGN_FAILURES_METRIC} ${SIGN_FAILURES_HELP}\n# TYPE ${SIGN_FAILURES_METRIC} counter\n` +
        `${SIGN_FAILURES_METRIC}{reason="refused"} 1\n${SIGN_FAILURES_METRIC}{reason="unavailable"} 2\n`,
    );
  });

  test("a prom-client Counter fits where the adapter takes a counter", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: SIGN_FAILURES_METRIC,
      help: SIGN_FAILURES_HELP,
      labelNames: ["reason"],
      registers: [registry],
    });
    const asCounterLike: { inc(labels: { reason: "unavailable" }): void } = counter;
    asCounterLike.inc({ reason: "unavailable" });
    assert.match(await registry.metrics(), /memory_audit_sign_failures_total\{reason="unavailable"\} 1/);
  });
});
