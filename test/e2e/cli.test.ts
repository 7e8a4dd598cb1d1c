import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runSigner } from "../helpers/cli.js";
import { startFixture } from "../helpers/service-fixture.js";

describe("signer CLI", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signer-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("--help lists the commands; an unknown command exits 2", () => {
    const help = runSigner(["--help"], {});
    assert.equal(help.status, 0);
    for (const c of ["serve", "dev", "certs", "keys"]) assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
    const bad = runSigner(["frobnicate"], {});
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command/);
  });

  test("every command answers --help", () => {
    for (const c of ["serve", "dev", "certs", "keys"]) {
      const r = runSigner([c, "--help"], {});
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, /usage/);
    }
  });

  test("an invalid config exits 2 with one line naming the field", () => {
    const file = join(dir, "bad-config.json");
    writeFileSync(file, JSON.stringify({ keys: [{ kid: "k1", uri: "softkey:file=/x", alg: "ed448" }] }));
    const r = runSigner(["serve"], { SIGNER_CONFIG: file, SIGNER_DATA_DIR: join(dir, "data") });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /keys\[0\]\.alg/);
  });

  test("certs dev writes the DESIGN.md layout; openssl verifies the chain", () => {
    const out = join(dir, "certs");
    const r = runSigner(
      ["certs", "dev", "--out", out, "--client", "memory-layer=spiffe://svc/memory-layer", "--json"],
      {},
    );
    assert.equal(r.status, 0, r.stderr);
    for (const f of [
      "ca.crt",
      "server.crt",
      "server.key",
      "client.crt",
      "client.key",
      "memory-layer.crt",
      "memory-layer.key",
    ]) {
      assert.ok(existsSync(join(out, f)), f);
    }
    assert.equal(statSync(join(out, "server.key")).mode & 0o077, 0, "keys are private to the owner");
    const verify = spawnSync(
      "openssl",
      ["verify", "-CAfile", join(out, "ca.crt"), join(out, "memory-layer.crt")],
      { encoding: "utf8" },
    );
    assert.match(verify.stdout, /OK/);
    const text = spawnSync("openssl", ["x509", "-noout", "-text", "-in", join(out, "memory-layer.crt")], {
      encoding: "utf8",
    });
    assert.match(text.stdout, /URI:spiffe:\/\/svc\/memory-layer/);
  });

  test("keys generate writes a 0600 key and refuses to overwrite it", () => {
    const file = join(dir, "gen-ed25519.pem");
    const r = runSigner(["keys", "generate", "--backend", "softkey", "--alg", "ed25519", "--out", file], {});
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(file, "utf8"), /BEGIN PRIVATE KEY/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = runSigner(
      ["keys", "generate", "--backend", "softkey", "--alg", "ed25519", "--out", file],
      {},
    );
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /refusing to overwrite/);
    const bad = runSigner(
      ["keys", "generate", "--backend", "softkey", "--alg", "ed448", "--out", join(dir, "x.pem")],
      {},
    );
    assert.equal(bad.status, 2);
  });

  test("keys list reads the registry of a stopped service's store", async () => {
    const fx = await startFixture();
    const configFile = join(fx.dir, "config.json");
    const dataDir = join(fx.dir, "data");
    await fx.service.close();
    const r = runSigner(["keys", "list", "--json"], { SIGNER_CONFIG: configFile, SIGNER_DATA_DIR: dataDir });
    assert.equal(r.status, 0, r.stderr);
    const signers = (JSON.parse(r.stdout) as { signers: Array<{ signer_kid: string; status: string }> })
      .signers;
    assert.deepEqual(
      signers.map((s) => s.signer_kid),
      ["k-audit", "k-candidate", "k-ecdsa", "k-ed25519", "k-hmac", "k-other", "k-rsa"],
    );
    assert.equal(signers.find((s) => s.signer_kid === "k-candidate")?.status, "candidate");
    const table = runSigner(["keys", "list"], { SIGNER_CONFIG: configFile, SIGNER_DATA_DIR: dataDir });
    assert.match(table.stdout, /k-ed25519\s+ed25519\s+active/);
    await fx.close();
  });
});
