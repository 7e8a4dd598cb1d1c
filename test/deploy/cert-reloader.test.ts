import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { writeDevCerts } from "../../signer/src/certs/write-dev-certs.js";
import { ROOT, waitForOutput } from "../helpers/cli.js";
import { createSignerSetup } from "../helpers/process-fixture.js";

const RELOADER = join(ROOT, "deploy/cert-reloader.mjs");

function reloader(args: string[]): ChildProcess {
  return spawn(process.execPath, [RELOADER, "--interval", "0.1", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Write `files` into `dir` the way the kubelet updates a Secret volume: a new `..<version>` dir, then
 * an atomic swap of the `..data` symlink the visible names point through. */
function kubeletWrite(dir: string, version: string, files: Record<string, string>): void {
  mkdirSync(join(dir, `..${version}`));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, `..${version}`, name), content);
  symlinkSync(`..${version}`, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join("..data", name), join(dir, name));
    } catch {
      // already linked through ..data
    }
  }
}

describe("deploy/cert-reloader.mjs", () => {
  const dir = mkdtempSync(join(tmpdir(), "signer-reloader-"));
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("finds the process by command line and sends SIGHUP once per Secret update", async () => {
    const tls = join(dir, "tls");
    mkdirSync(tls);
    kubeletWrite(tls, "v1", { "tls.crt": "cert one", "tls.key": "key one" });
    const marker = `reloader-target-${process.pid}-${Date.now()}`;
    const target = spawn(
      process.execPath,
      ["-e", "process.on('SIGHUP', () => console.log('HUP')); setInterval(() => {}, 1000);", marker],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(target);
    let hups = 0;
    target.stdout?.on("data", (chunk: Buffer) => {
      hups += chunk.toString().split("HUP").length - 1;
    });
    const watcher = reloader(["--process", marker, "--watch", tls]);
    children.push(watcher);
    await waitForOutput(watcher, /"watching"/);
    await sleep(400);
    assert.equal(hups, 0, "no signal while nothing changes");
    kubeletWrite(tls, "v2", { "tls.crt": "cert two", "tls.key": "key two" });
    await waitForOutput(watcher, /sent SIGHUP/);
    await sleep(400);
    assert.equal(hups, 1, "one signal for one update");
  });

  test("`signer serve` reloads its TLS files on the reloader's SIGHUP", async () => {
    const setup = await createSignerSetup();
    try {
      const signer = await setup.start();
      const certs = join(setup.dir, "certs");
      const watcher = reloader(["--pid", String(signer.pid), "--watch", certs]);
      children.push(watcher);
      await waitForOutput(watcher, /"watching"/);
      // A renewal: new CA and certificates in the watched directory.
      await writeDevCerts(certs, { clients: [{ cn: "memory-layer" }, { cn: "auditor" }], force: true });
      await waitForOutput(watcher, /sent SIGHUP/);
      for (let i = 0; i < 50 && !signer.output().includes("TLS material reloaded"); i++) await sleep(100);
      assert.match(signer.output(), /TLS material reloaded/);
      watcher.kill("SIGTERM");
      const stopped = await signer.stop("SIGTERM");
      assert.equal(stopped.code, 0);
    } finally {
      await setup.close();
    }
  });

  test("refuses to start without a directory or a target", async () => {
    const bad = reloader(["--watch", dir]);
    const code = await new Promise((resolve) => bad.once("exit", resolve));
    assert.equal(code, 2);
  });
});
