import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import {
  createKmsKey,
  DUMMY_SECRET_ACCESS_KEY,
  mockKmsEnv,
  startTestMockKms,
  type TestMockKms,
} from "../../../test/helpers/mock-kms.js";
import { opensslHmac, opensslVerify } from "../../../test/helpers/openssl.js";
import { type ServiceFixture, startFixture } from "../../../test/helpers/service-fixture.js";
import { call } from "../../../test/helpers/tls-client.js";
import { ALG_NAMES, type Alg } from "../../src/algorithms.js";
import { loadConfig } from "../../src/config/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { startService } from "../../src/service.js";

type Json = Record<string, unknown>;
const KID: Readonly<Record<Alg, string>> = {
  ed25519: "kms-ed25519",
  "ecdsa-sha256": "kms-ecdsa",
  "rsa-sha256": "kms-rsa",
  "hmac-sha256": "kms-hmac",
};
const KIDS = Object.values(KID);

describe("awskms keys through the service (mock-kms, real AWS SDK)", () => {
  let kms: TestMockKms;
  let fx: ServiceFixture;
  let dir: string;
  let pems: Map<string, string>;
  const keyIds = new Map<string, string>();
  let logs = "";

  before(async () => {
    kms = await startTestMockKms();
    dir = mkdtempSync(join(tmpdir(), "awskms-e2e-"));
    const auditPem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
    const auditFile = join(dir, "audit.pem");
    writeFileSync(auditFile, auditPem, { mode: 0o600 });
    const keys = [];
    for (const alg of ALG_NAMES) {
      // Ed25519 by alias with region and endpoint in the URI; the others by ARN or key id, taking both from env.
      const alias = alg === "ed25519" ? "alias/e2e-ed25519" : undefined;
      const { keyId, arn } = await createKmsKey(kms.client, alg, alias);
      keyIds.set(KID[alg], keyId);
      const uri =
        alg === "ed25519"
          ? `awskms:key-id=alias%2Fe2e-ed25519;region=us-east-1;endpoint=${encodeURIComponent(kms.url)}`
          : `awskms:key-id=${alg === "hmac-sha256" ? keyId : arn}`;
      keys.push({ kid: KID[alg], uri, alg });
    }
    keys.push({ kid: "audit-soft", uri: `softkey:file=${auditFile}`, alg: "ed25519" });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    fx = await startFixture({
      env: { ...mockKmsEnv(kms.url), LOG_LEVEL: "info" },
      logger: createLogger("info", sink),
      configPatch: {
        keys,
        defaultKid: KID.ed25519,
        auditKid: "audit-soft",
        principals: [{ id: "memory-layer", match: { cn: "memory-layer" }, roles: ["service"], keys: KIDS }],
      },
    });
    const listed = await call(fx.agent("memory-layer"), `${fx.service.url}/keys`);
    pems = new Map(
      (listed.body as { signers: Json[] }).signers
        .filter((s) => typeof s.public_key_pem === "string")
        .map((s) => [s.signer_kid as string, s.public_key_pem as string]),
    );
  });
  after(async () => {
    await fx?.close();
    await kms?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const signHash = (kid: string, digest = randomBytes(32)) =>
    call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex: digest.toString("hex"), kid },
    });
  const readyz = () => call(undefined, `${fx.service.managementUrl}/readyz`);
  const metric = async (name: string) => {
    const text = (await call(undefined, `${fx.service.managementUrl}/metrics`)).text;
    return text
      .split("\n")
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  };

  for (const alg of ALG_NAMES) {
    test(`${alg}: /sign/hash signs in KMS and openssl verifies with the PEM from /keys`, async () => {
      const digest = randomBytes(32);
      const res = await signHash(KID[alg], digest);
      assert.equal(res.status, 200, res.text);
      const body = res.body as Json;
      assert.equal(body.alg, alg);
      const sig = Buffer.from(body.signature as string, "base64");
      if (alg === "hmac-sha256") {
        assert.equal(pems.has(KID[alg]), false, "HMAC keys have no public PEM");
        const state = JSON.parse(readFileSync(kms.statePath, "utf8")) as {
          keys: { keyId: string; material: string }[];
        };
        const secret = state.keys.find((k) => k.keyId === keyIds.get(KID[alg]))!.material;
        assert.deepEqual(sig, opensslHmac(Buffer.from(secret, "base64"), digest));
      } else {
        assert.ok(opensslVerify(alg, pems.get(KID[alg])!, digest, sig), "openssl verifies");
        assert.equal(opensslVerify(alg, pems.get(KID[alg])!, randomBytes(32), sig), false);
      }
      const verified = await call(fx.agent("memory-layer"), `${fx.service.url}/verify`, {
        body: { kid: KID[alg], signature: body.signature, digestHex: digest.toString("hex") },
      });
      assert.deepEqual(verified.body, { valid: true, kid: KID[alg], alg });
    });
  }

  test("50% throttling: requests still complete through retries, counted in signer_backend_retries_total", async (t) => {
    const set = await fetch(`${kms.url}/_faults`, {
      method: "POST",
      body: JSON.stringify({ throttleRate: 0.5 }),
    });
    assert.equal(set.status, 200);
    const statuses: number[] = [];
    const started = performance.now();
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(KIDS.concat(KIDS.slice(0, 2)).map((kid) => signHash(kid)));
      for (const res of batch) {
        statuses.push(res.status);
        // A call that ran out of attempts is a clean 503, never a 500 or a hang.
        if (res.status !== 200) assert.equal(res.headers["retry-after"], "1");
      }
    }
    const elapsed = performance.now() - started;
    await fetch(`${kms.url}/_faults`, { method: "POST", body: JSON.stringify({ throttleRate: 0 }) });
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= statuses.length - 3, `only ${ok}/${statuses.length} succeeded`);
    assert.ok(statuses.every((s) => s === 200 || s === 503));
    assert.ok((await metric("signer_backend_retries_total")) > 0, "retries are visible in /metrics");
    t.diagnostic(`50% throttling: ${ok}/${statuses.length} ok in ${elapsed.toFixed(0)} ms`);
  });

  test("mock-kms stopped: /sign/hash is 503 within a bounded time and /readyz is 503; both recover after a restart", async (t) => {
    await kms.stop();
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const res = await signHash(KID["ecdsa-sha256"]);
      times.push(performance.now() - started);
      assert.equal(res.status, 503, res.text);
      assert.equal((res.body as { error: { code: string } }).error.code, "ERR_BACKEND_UNAVAILABLE");
      assert.equal(res.headers["retry-after"], "1");
      assert.ok(!res.text.includes("ECONNREFUSED"), "no backend detail reaches clients");
    }
    assert.ok(Math.max(...times) < 5000, `slowest 503 took ${Math.max(...times)} ms`);
    assert.ok(times.at(-1)! < 500, `with the circuit open a 503 is immediate (${times.at(-1)} ms)`);
    assert.equal(await metric('signer_backend_circuit_open{backend="awskms",kid="kms-ecdsa"}'), 1);
    const down = await readyz();
    assert.equal(down.status, 503);
    const checks = (down.body as { checks: Record<string, string> }).checks;
    for (const kid of KIDS) assert.match(checks[`key:${kid}`]!, /^error|^timeout/, kid);
    assert.equal(checks["key:audit-soft"], "ok");
    t.diagnostic(
      `KMS down: first 503 after ${times[0]!.toFixed(0)} ms, then ${times.at(-1)!.toFixed(1)} ms with the circuit open`,
    );

    await kms.restart();
    const restarted = performance.now();
    let ready = await readyz();
    while (ready.status !== 200 && performance.now() - restarted < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await readyz();
    }
    assert.equal(ready.status, 200, ready.text);
    for (const kid of KIDS) assert.equal((await signHash(kid)).status, 200, kid);
    assert.equal(await metric('signer_backend_circuit_open{backend="awskms",kid="kms-ecdsa"}'), 0);
    t.diagnostic(`recovered ${(performance.now() - restarted).toFixed(0)} ms after the restart`);
  });

  test("a KMS key whose spec does not match the configured alg refuses start-up", async () => {
    const ec = await createKmsKey(kms.client, "ecdsa-sha256");
    const configFile = join(dir, "mismatch.json");
    writeFileSync(
      configFile,
      JSON.stringify({ keys: [{ kid: "wrong", uri: `awskms:key-id=${ec.arn}`, alg: "ed25519" }] }),
    );
    const env = {
      ...mockKmsEnv(kms.url),
      SIGNER_CONFIG: configFile,
      SIGNER_DATA_DIR: join(dir, "mismatch-data"),
      TLS_CERT_FILE: join(fx.dir, "certs", "server.crt"),
      TLS_KEY_FILE: join(fx.dir, "certs", "server.key"),
      TLS_CLIENT_CA_FILE: join(fx.dir, "certs", "ca.crt"),
      PORT: "0",
      MANAGEMENT_PORT: "0",
    };
    await assert.rejects(
      startService(loadConfig(env), { logger: createLogger("silent") }),
      /key wrong: alg is ed25519 but the KMS key spec is ECC_NIST_P256 \(expected ECC_NIST_EDWARDS25519\)/,
    );
  });

  test("no log line carries the AWS secret access key", () => {
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(DUMMY_SECRET_ACCESS_KEY));
  });
});
