import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runSigner } from "../../../test/helpers/cli.js";
import type { KeyConfig } from "../../src/config/types.js";
import { runAudit } from "./cli-io.js";
import { targetKinds, withTarget } from "./db-targets.js";
import { sealedSeqs, softKey, writeAuditLog, writeSignersJson } from "./log-fixture.js";

const [sqlite] = targetKinds();
const scratch = mkdtempSync(join(tmpdir(), "audit-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A SIGNER_CONFIG naming `keys` (auditKid = the first), written next to them. */
function configFile(dir: string, keys: readonly KeyConfig[], name = "signer.json"): string {
  const path = join(dir, name);
  const entries = keys.map((k) => ({ kid: k.kid, uri: k.uri, alg: k.alg }));
  writeFileSync(path, JSON.stringify({ keys: entries, auditKid: keys[0]?.kid }));
  return path;
}

describe("signer audit: usage and exit codes", () => {
  test("--help for the command and each action exits 0 with the usage", async () => {
    for (const args of [["--help"], ["verify", "--help"], ["export", "-h"]]) {
      const run = await runAudit(args, {});
      assert.equal(run.code, 0);
      assert.match(run.stdout, /signer audit verify \[--db \| --file F\] \[--pin-head SEQ:HASH\]/);
      assert.match(run.stdout, /signer audit export \[--from SEQ\] \[--out F\]/);
    }
  });

  test("usage mistakes exit 2 with a one-line reason", async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing action/],
      [["frobnicate"], /unknown action 'frobnicate'/],
      [["verify", "--bogus"], /bogus/],
      [["verify", "--db", "--file", "x.jsonl"], /--db and --file are exclusive/],
      [["verify", "--pin-head", "12"], /--pin-head must be SEQ:HASH/],
      [["verify", `--pin-head=-1:${"0".repeat(64)}`], /--pin-head must be SEQ:HASH/],
      [["export", "--from", "1e3"], /--from needs a non-negative integer/],
    ];
    for (const [args, reason] of cases) {
      const run = await runAudit(args, { SIGNER_DATA_DIR: scratch });
      assert.equal(run.code, 2, args.join(" "));
      assert.match(run.stderr, reason);
      assert.equal(run.stdout, "");
    }
  });

  test("what keeps the check from running exits 2, never 0 or 1", async () => {
    const empty = mkdtempSync(join(scratch, "empty-"));
    const keys = join(scratch, "keys.json");
    writeFileSync(keys, '{"signers":[]}');
    const bad = join(scratch, "bad-keys.json");
    writeFileSync(bad, '{"signers":[{"signer_kid":"k","algorithm":"ed25519"}]}');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["verify"], { SIGNER_DATA_DIR: empty }, /cannot open the store/],
      [["export"], { SIGNER_DATA_DIR: empty }, /cannot open the store/],
      [["verify"], { SIGNER_CONFIG: join(empty, "missing.json") }, /SIGNER_CONFIG/],
      [["verify", "--file", join(empty, "x.jsonl")], { SIGNER_DATA_DIR: empty }, /--file needs --keys F/],
      [["verify", "--file", join(empty, "x.jsonl"), "--keys", keys], {}, /could not read the log: .*ENOENT/],
      [["verify", "--file", keys, "--keys", join(empty, "none.json")], {}, /cannot read --keys .*ENOENT/],
      [["verify", "--file", keys, "--keys", bad], {}, /public_key_pem is required for ed25519/],
    ];
    for (const [args, env, reason] of cases) {
      const run = await runAudit(args, env);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, reason);
    }
  });

  test("the installed CLI lists and runs the audit command", () => {
    const top = runSigner(["--help"], {});
    assert.match(top.stdout, /^ {2}audit +audit verify\|export/m);
    const help = runSigner(["audit", "verify", "--help"], {});
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Exit status: 0 the log verifies; 1 it does not/);
    const usage = runSigner(["audit", "verify", "--pin-head", "x"], { SIGNER_DATA_DIR: scratch });
    assert.equal(usage.status, 2);
  });
});

describe("signer audit verify: keys and seals", () => {
  test("an empty log verifies, unless a head was pinned", () =>
    withTarget(sqlite!, async (t) => {
      const ok = await runAudit(["verify"], t.env);
      assert.deepEqual([ok.code, ok.stdout], [0, "audit verify: OK — 0 events (empty log)\n"]);
      const pinned = await runAudit(["verify", "--pin-head", `0:${"a".repeat(64)}`], t.env);
      assert.equal(pinned.code, 1);
      assert.match(pinned.stdout, /FAILED at seq 0: pinned head seq 0 is missing: the log is empty/);
      const exported = await runAudit(["export"], t.env);
      assert.deepEqual([exported.code, exported.stdout], [0, ""]);
    }));

  test("a pin given in upper-case hex is the same pin", () =>
    withTarget(sqlite!, async (t) => {
      const events = await writeAuditLog(t.store, softKey(t.dir, "log-ed25519-v1"), t.dir);
      const last = events.at(-1)!;
      const run = await runAudit(["verify", "--pin-head", `${last.seq}:${last.hash.toUpperCase()}`], t.env);
      assert.equal(run.code, 0, run.stdout);
    }));

  test("keys read from the store come with a note; --keys pins them independently", () =>
    withTarget(sqlite!, async (t) => {
      const events = await writeAuditLog(t.store, softKey(t.dir, "log-ed25519-v1"), t.dir);
      const fromStore = await runAudit(["verify"], t.env);
      assert.match(fromStore.stderr, /seal keys were read from the store itself/);
      // A signers.json that does not vouch for the audit key: its seals authenticate nothing.
      const other = join(t.dir, "other.json");
      writeFileSync(other, JSON.stringify({ signers: [{ signer_kid: "k2", algorithm: "hmac-sha256" }] }));
      const pinned = await runAudit(["verify", "--keys", other, "--json"], t.env);
      assert.equal(pinned.code, 1);
      assert.deepEqual(JSON.parse(pinned.stdout).firstBad, {
        seq: sealedSeqs(events)[0],
        reason: 'seal by unknown key "log-ed25519-v1"',
      });
      assert.equal(pinned.stderr, "");
    }));

  test("a revoked audit key fails its first seal, from the registry or from --keys", () =>
    withTarget(sqlite!, async (t) => {
      const events = await writeAuditLog(t.store, softKey(t.dir, "log-ed25519-v1"), t.dir);
      const keys = join(t.dir, "signers.json");
      await writeSignersJson(t.store, keys);
      const revokedFile = join(t.dir, "revoked.json");
      writeFileSync(revokedFile, readFileSync(keys, "utf8").replace('"active"', '"revoked"'));
      await t.store.setKeyStatus("log-ed25519-v1", "revoked", new Date().toISOString());
      const first = sealedSeqs(events)[0];
      for (const args of [["verify"], ["verify", "--keys", revokedFile]]) {
        const run = await runAudit(args, t.env);
        assert.equal(run.code, 1);
        assert.equal(
          run.stdout,
          `audit verify: FAILED at seq ${first}: sealed by revoked key "log-ed25519-v1"\n`,
        );
      }
    }));

  test("HMAC seals verify with the configured secret, and only with it", () =>
    withTarget(sqlite!, async (t) => {
      const key = softKey(t.dir, "audit-hmac", "hmac-sha256");
      const events = await writeAuditLog(t.store, key, t.dir);
      const first = sealedSeqs(events)[0];
      const config = configFile(t.dir, [key]);
      const ok = await runAudit(["verify", "--json"], { ...t.env, SIGNER_CONFIG: config });
      assert.equal(ok.code, 0, ok.stdout);
      assert.equal(JSON.parse(ok.stdout).seals, sealedSeqs(events).length);
      const noSecret = await runAudit(["verify", "--json"], t.env);
      assert.equal(noSecret.code, 1);
      assert.deepEqual(JSON.parse(noSecret.stdout).firstBad, {
        seq: first,
        reason: 'seal by hmac-sha256 key "audit-hmac" is unverifiable without its secret',
      });
      const wrongDir = mkdtempSync(join(t.dir, "wrong-"));
      const wrong = configFile(wrongDir, [softKey(wrongDir, "audit-hmac", "hmac-sha256")]);
      const forged = await runAudit(["verify", "--json"], { ...t.env, SIGNER_CONFIG: wrong });
      assert.equal(forged.code, 1);
      assert.deepEqual(JSON.parse(forged.stdout).firstBad, {
        seq: first,
        reason: 'seal does not verify with key "audit-hmac" (hmac-sha256)',
      });
      // A file export is checked the same way: --keys names the key, the config lends the secret.
      const file = join(t.dir, "audit.jsonl");
      assert.equal((await runAudit(["export", "--out", file], t.env)).code, 0);
      const keys = await writeSignersJson(t.store, join(t.dir, "signers.json"));
      const offline = await runAudit(["verify", "--file", file, "--keys", keys], { SIGNER_CONFIG: config });
      assert.equal(offline.code, 0, offline.stdout);
    }));
});
