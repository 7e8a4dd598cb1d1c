import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

type Json = Record<string, unknown>;

describe("management port", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx.close());

  test("/healthz answers without a client certificate", async () => {
    const res = await call(undefined, `${fx.service.managementUrl}/healthz`);
    assert.equal(res.status, 200);
  });

  test("/readyz self-tests every key backend and the store", async () => {
    const res = await call(undefined, `${fx.service.managementUrl}/readyz`);
    assert.equal(res.status, 200, res.text);
    const checks = (res.body as { checks: Record<string, string> }).checks;
    assert.equal(checks.store, "ok");
    for (const kid of ["k-ed25519", "k-ecdsa", "k-rsa", "k-hmac", "k-candidate", "k-audit"]) {
      assert.equal(checks[`key:${kid}`], "ok", kid);
    }
  });

  test("/readyz is 503 with detail when the store is gone", async () => {
    const local = await startFixture();
    await local.service.deps.store.close();
    const res = await call(undefined, `${local.service.managementUrl}/readyz`);
    assert.equal(res.status, 503);
    const body = res.body as { status: string; checks: Record<string, string> };
    assert.equal(body.status, "degraded");
    assert.match(body.checks.store!, /^error/);
    await local.close();
  });

  test("/metrics exports the signing metrics", async () => {
    await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex: "cd".repeat(32) },
    });
    const res = await call(undefined, `${fx.service.managementUrl}/metrics`);
    assert.equal(res.status, 200);
    for (const name of [
      "signer_sign_seconds_bucket",
      "signer_sign_failures_total",
      "signer_verify_total",
      "signer_requests_total",
      "signer_audit_append_seconds",
      "signer_audit_batch_size",
    ]) {
      assert.ok(res.text.includes(name), name);
    }
    assert.match(res.text, /signer_sign_seconds_count\{alg="ed25519",backend="softkey"\} [1-9]/);
  });

  test("/keys is public and in the signers.json shape; HMAC keys have no PEM", async () => {
    const res = await call(undefined, `${fx.service.managementUrl}/keys`);
    assert.equal(res.status, 200);
    const signers = (res.body as { signers: Json[] }).signers;
    const byKid = new Map(signers.map((s) => [s.signer_kid, s]));
    assert.equal(byKid.get("k-ed25519")?.algorithm, "ed25519");
    assert.equal(byKid.get("k-ed25519")?.status, "active");
    assert.equal(byKid.get("k-candidate")?.status, "candidate");
    assert.match(String(byKid.get("k-rsa")?.public_key_pem), /^-----BEGIN PUBLIC KEY-----/);
    assert.equal("public_key_pem" in (byKid.get("k-hmac") ?? {}), false);
    assert.doesNotMatch(res.text, /PRIVATE KEY/);
    const one = await call(undefined, `${fx.service.managementUrl}/keys/k-ecdsa`);
    assert.equal((one.body as Json).algorithm, "ecdsa-sha256");
    const missing = await call(undefined, `${fx.service.managementUrl}/keys/none`);
    assert.equal(missing.status, 404);
  });

  test("JWKS lists the asymmetric, non-revoked keys only", async () => {
    await fx.service.deps.registry.setStatus("k-other", "revoked");
    const res = await call(undefined, `${fx.service.managementUrl}/.well-known/jwks.json`);
    const keys = (res.body as { keys: Json[] }).keys;
    const kids = keys.map((k) => k.kid);
    assert.ok(kids.includes("k-ed25519") && kids.includes("k-ecdsa") && kids.includes("k-rsa"));
    assert.ok(!kids.includes("k-hmac"), "no symmetric keys");
    assert.ok(!kids.includes("k-other"), "no revoked keys");
    for (const k of keys) assert.equal("d" in k, false, "no private parts");
    const ed = keys.find((k) => k.kid === "k-ed25519")!;
    assert.equal(ed.kty, "OKP");
    assert.equal(ed.alg, "EdDSA");
  });

  test("a revoked key neither signs nor verifies; a retired key verifies but does not sign", async () => {
    const admin = fx.agent("dev-client");
    const signed = await call(admin, `${fx.service.url}/sign/hash`, {
      body: { digestHex: "ef".repeat(32), kid: "k-rsa" },
    });
    assert.equal(signed.status, 200);
    const sig = (signed.body as Json).signature;
    await fx.service.deps.registry.setStatus("k-rsa", "retired");
    const retiredVerify = await call(admin, `${fx.service.url}/verify`, {
      body: { kid: "k-rsa", signature: sig, digestHex: "ef".repeat(32) },
    });
    assert.equal((retiredVerify.body as Json).valid, true);
    const retiredSign = await call(admin, `${fx.service.url}/sign/hash`, {
      body: { digestHex: "ef".repeat(32), kid: "k-rsa" },
    });
    assert.equal(retiredSign.status, 409);
    await fx.service.deps.registry.setStatus("k-rsa", "revoked");
    const revokedVerify = await call(admin, `${fx.service.url}/verify`, {
      body: { kid: "k-rsa", signature: sig, digestHex: "ef".repeat(32) },
    });
    assert.equal((revokedVerify.body as Json).valid, false);
    const keys = await call(undefined, `${fx.service.managementUrl}/keys/k-rsa`);
    assert.equal((keys.body as Json).status, "revoked");
  });

  test("the management port serves nothing else", async () => {
    const res = await call(undefined, `${fx.service.managementUrl}/sign/hash`, {
      body: { digestHex: "ab".repeat(32) },
    });
    assert.equal(res.status, 404);
  });
});
