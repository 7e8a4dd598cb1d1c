import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { runAudit } from "../../signer/test/audit/cli-io.js";
import { runSigner } from "../helpers/cli.js";
import { createSignerSetup, type SignerProcess, type SignerSetup } from "../helpers/process-fixture.js";
import { call } from "../helpers/tls-client.js";

interface Report {
  ok: boolean;
  count: number;
  head: { seq: number; hash: string } | null;
}

/**
 * docs/runbooks/restore-drill.md on SQLite, end to end: record a pin and the public keys, back up
 * the store (after a clean stop, and online through SQLite's backup API), restore it into a fresh
 * data directory, `signer audit verify --db --pin-head --keys` before anything writes to it, resume
 * the service on the restored copy, sign, and verify again.
 */
describe("restore drill (SQLite)", () => {
  let setup: SignerSetup;
  const dataDir = () => join(setup.dir, "data");
  const env = (dir: string) => ({ ...setup.env, SIGNER_DATA_DIR: dir });
  // The drill's decisive check runs the real CLI; the others run the same command in-process.
  const verifyCli = (dir: string, ...args: string[]) =>
    runSigner(["audit", "verify", "--db", ...args], env(dir));
  const verify = async (dir: string, ...args: string[]) => {
    const r = await runAudit(["verify", "--db", ...args], env(dir));
    return { status: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  const report = async (dir: string): Promise<Report> => {
    const r = await verify(dir, "--json");
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Report;
  };
  const pin = (r: Report) => `${r.head?.seq}:${r.head?.hash}`;
  const signSome = async (p: SignerProcess, n: number, tag: number) => {
    for (let i = 0; i < n; i++) {
      const res = await call(setup.agent(), `${p.url}/sign/hash`, {
        body: { digestHex: (tag * 16 + i).toString(16).padStart(64, "0") },
      });
      assert.equal(res.status, 200, res.text);
    }
  };

  let signersJson: string;
  let before1: Report;
  before(async () => {
    setup = await createSignerSetup();
  });
  after(async () => setup.close());

  test("0-1. record the pin and the public keys; back up after a clean stop", async () => {
    const p = await setup.start();
    await signSome(p, 5, 1);
    signersJson = join(setup.dir, "signers.json");
    writeFileSync(signersJson, (await call(undefined, `${p.managementUrl}/keys`)).text);
    assert.equal((await p.stop("SIGTERM")).code, 0, "SIGTERM drains and exits 0");
    before1 = await report(dataDir());
    assert.ok(before1.ok && before1.count >= 6, "service.start + 5 signatures");
    mkdirSync(join(setup.dir, "backup"));
    for (const suffix of ["", "-wal"]) {
      const file = join(dataDir(), `signer.db${suffix}`);
      if (existsSync(file)) copyFileSync(file, join(setup.dir, "backup", `signer.db${suffix}`));
    }
  });

  test("1b. an online backup through SQLite's backup API is consistent too", async () => {
    const p = await setup.start();
    await signSome(p, 3, 2);
    mkdirSync(join(setup.dir, "online"));
    const live = new Database(join(dataDir(), "signer.db"), { readonly: true, fileMustExist: true });
    try {
      await live.backup(join(setup.dir, "online", "signer.db"));
    } finally {
      live.close();
    }
    assert.equal((await p.stop("SIGTERM")).code, 0);
    const online = await verify(join(setup.dir, "online"), "--pin-head", pin(before1), "--keys", signersJson);
    assert.equal(online.status, 0, online.stdout + online.stderr);
  });

  test("2-3. the restored store verifies against the pin and the saved keys; a stale one does not", async () => {
    const restored = join(setup.dir, "restored");
    mkdirSync(restored);
    for (const name of ["signer.db", "signer.db-wal"]) {
      if (existsSync(join(setup.dir, "backup", name)))
        copyFileSync(join(setup.dir, "backup", name), join(restored, name));
    }
    const ok = verifyCli(restored, "--pin-head", pin(before1), "--keys", signersJson);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`audit verify: OK — ${before1.count} events`));
    // The primary went on after the backup: pinning its newer head exposes the restore as rolled back.
    const newer = await report(dataDir());
    assert.ok((newer.head?.seq ?? 0) > (before1.head?.seq ?? 0));
    const stale = await verify(restored, "--pin-head", pin(newer), "--keys", signersJson);
    assert.equal(stale.status, 1, "a backup older than the pin must fail");
    assert.match(stale.stdout, /FAILED/);
  });

  test("4. the service resumes on the restored store, chaining onto the restored head", async () => {
    const restored = join(setup.dir, "restored");
    const p = await setup.start({ SIGNER_DATA_DIR: restored });
    await signSome(p, 2, 3);
    assert.equal((await p.stop("SIGTERM")).code, 0);
    const after = await verify(restored, "--pin-head", pin(before1), "--keys", signersJson, "--json");
    assert.equal(after.status, 0, after.stdout + after.stderr);
    const r = JSON.parse(after.stdout) as Report;
    // service.start + 2 signatures appended after the restored head, one chain.
    assert.equal(r.count, before1.count + 3);
    assert.equal(r.head?.seq, (before1.head?.seq ?? 0) + 3);
  });
});
