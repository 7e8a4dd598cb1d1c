import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeDevCerts } from "../../signer/src/certs/write-dev-certs.js";
import { runSigner, spawnSigner, waitForOutput } from "../helpers/cli.js";
import { call } from "../helpers/tls-client.js";

describe("strict start-up (NODE_ENV=production / REQUIRE_KMS=true)", () => {
  let dir: string;
  let tlsEnv: Record<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signer-strict-"));
    const certs = await writeDevCerts(join(dir, "certs"), {});
    tlsEnv = {
      TLS_CERT_FILE: certs.serverCert,
      TLS_KEY_FILE: certs.serverKey,
      TLS_CLIENT_CA_FILE: certs.caCert,
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const strictEnv of [{ NODE_ENV: "production" }, { REQUIRE_KMS: "true" }]) {
    test(`${JSON.stringify(strictEnv)} with no signer exits non-zero with one actionable line`, () => {
      const r = runSigner(["serve"], { ...strictEnv, ...tlsEnv, SIGNER_DATA_DIR: join(dir, "data") });
      assert.notEqual(r.status, 0);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /AUDIT_SIGNING_KMS_KEY_ID/);
      assert.match(lines[0]!, /pkcs11:/);
      assert.match(lines[0]!, /AUDIT_SIGNING_PRIVATE_KEY/);
    });
  }

  test("a mock key is refused in strict mode", () => {
    const r = runSigner(["serve"], {
      NODE_ENV: "production",
      ...tlsEnv,
      AUDIT_SIGNING_KMS_KEY_ID: "alias/audit",
      MOCK_AUDIT_SIGNING_KEY: "m".repeat(40),
      SIGNER_DATA_DIR: join(dir, "data"),
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /MOCK_AUDIT_SIGNING_KEY/);
  });

  test("missing TLS files are refused in strict mode, naming each", () => {
    const r = runSigner(["serve"], {
      NODE_ENV: "production",
      AUDIT_SIGNING_KMS_KEY_ID: "alias/audit",
      TLS_CERT_FILE: join(dir, "nope.crt"),
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TLS_CERT_FILE/);
    assert.match(r.stderr, /TLS_KEY_FILE/);
    assert.match(r.stderr, /TLS_CLIENT_CA_FILE/);
  });

  test("signer dev refuses NODE_ENV=production", () => {
    const r = runSigner(["dev"], { NODE_ENV: "production", SIGNER_DATA_DIR: join(dir, "dev") });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /production/);
  });

  test("the emergency AUDIT_SIGNING_PRIVATE_KEY starts with a warning and a /readyz detail", async () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const child = spawnSigner(["serve"], {
      NODE_ENV: "production",
      ...tlsEnv,
      AUDIT_SIGNING_PRIVATE_KEY: pem,
      HOST: "127.0.0.1",
      PORT: "0",
      MANAGEMENT_PORT: "0",
      SIGNER_DATA_DIR: join(dir, "emergency"),
    });
    try {
      const out = await waitForOutput(child, /"management":"(http:[^"]+)"/);
      assert.match(out, /emergency/i);
      const management = /"management":"(http:[^"]+)"/.exec(out)![1]!;
      const ready = await call(undefined, `${management}/readyz`);
      assert.equal(ready.status, 200, ready.text);
      assert.match(ready.text, /emergency/i);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0, "SIGTERM drains and exits 0");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
