import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runMultisigCommand } from "../../signer/src/cli/multisig-command.js";
import { captureStream } from "../helpers/capture.js";
import { runSigner } from "../helpers/cli.js";
import { kidOf, type MultisigFixture, POLICY, startMultisigFixture } from "./multisig-fixture.js";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const sink = captureStream;

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = sink();
  const err = sink();
  const code = await runMultisigCommand(args, env, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe("signer multisig CLI", () => {
  let m: MultisigFixture;
  let dir: string;
  const as = (name: string) => [
    "--url",
    m.fx.service.url,
    "--ca",
    join(m.fx.dir, "certs", "ca.crt"),
    "--cert",
    join(m.fx.dir, "certs", `${name}.crt`),
    "--key",
    join(m.fx.dir, "certs", `${name}.key`),
  ];
  before(async () => {
    m = await startMultisigFixture();
    dir = mkdtempSync(join(tmpdir(), "multisig-cli-"));
  });
  after(async () => {
    await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("propose → approve (proxy and --signature-file) → status → proof → offline verify", async () => {
    const proposed = await run([
      "propose",
      "--policy",
      "upgrades",
      "--type",
      "upgrade",
      "--target",
      "signer",
      "--version",
      "5",
      "--expires-in",
      "2h",
      "--json",
      ...as("alice"),
    ]);
    assert.equal(proposed.code, 0, proposed.stderr);
    const { id, digestHex } = JSON.parse(proposed.stdout) as { id: string; digestHex: string };
    assert.equal((await run(["approve", id, "--kid", kidOf("alice"), ...as("alice")])).code, 0);
    // erin signs offline (Ed25519 over the 32 digest bytes) and submits the raw signature file.
    const sigFile = join(dir, "erin.sig");
    writeFileSync(sigFile, sign(null, Buffer.from(digestHex, "hex"), m.privateKeys.get(kidOf("erin"))!));
    const detached = await run([
      "approve",
      id,
      "--kid",
      kidOf("erin"),
      "--signature-file",
      sigFile,
      ...as("erin"),
    ]);
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /2 approval\(s\), threshold 3, status pending/);
    const early = await run(["proof", id, ...as("bob")]);
    assert.deepEqual([early.code, /ERR_CONFLICT/.test(early.stderr)], [1, true]);
    const nonOwner = await run(["approve", id, "--kid", kidOf("alice"), ...as("bob")]);
    assert.deepEqual([nonOwner.code, /ERR_FORBIDDEN/.test(nonOwner.stderr)], [1, true]);
    assert.equal((await run(["approve", id, "--kid", kidOf("bob"), ...as("bob")])).code, 0);
    const status = await run(["status", id, "--json", ...as("carol")]);
    assert.equal((JSON.parse(status.stdout) as { status: string }).status, "approved");

    const proofFile = join(dir, "proof.json");
    assert.equal((await run(["proof", id, "--out", proofFile, ...as("carol")])).code, 0);
    const keysFile = join(dir, "signers.json");
    writeFileSync(keysFile, JSON.stringify((await m.call("auditor", "/keys")).body));
    const policyFile = join(dir, "policy.json");
    writeFileSync(policyFile, JSON.stringify(POLICY));
    const verified = await run([
      "verify",
      "--proof",
      proofFile,
      "--keys",
      keysFile,
      "--policy",
      policyFile,
      "--json",
    ]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.deepEqual(JSON.parse(verified.stdout), {
      valid: true,
      validSignatures: 3,
      threshold: 3,
      problems: [],
    });

    // A config file works as the policy source too; the proof names its policy.
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify({ multisig: { policies: [POLICY] } }));
    assert.equal(
      (await run(["verify", "--proof", proofFile, "--keys", keysFile, "--policy", configFile])).code,
      0,
    );
    const proof = JSON.parse(readFileSync(proofFile, "utf8")) as { manifest: Record<string, unknown> };
    const tampered = join(dir, "tampered.json");
    writeFileSync(tampered, JSON.stringify({ ...proof, manifest: { ...proof.manifest, version: 6 } }));
    const bad = await run(["verify", "--proof", tampered, "--keys", keysFile, "--policy", policyFile]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /INVALID/);
    // The same verdict from the installed command, in its own process, offline.
    const spawned = runSigner(
      ["multisig", "verify", "--proof", proofFile, "--keys", keysFile, "--policy", policyFile],
      {},
    );
    assert.equal(spawned.status, 0, spawned.stderr);
    assert.match(spawned.stdout, /VALID — 3 valid signatures, threshold 3/);
  });

  test("connection settings come from SIGNING_PROXY_* when no flags are given; usage errors exit 2", async () => {
    const env = {
      SIGNING_PROXY_URL: m.fx.service.url,
      SIGNING_PROXY_CA: join(m.fx.dir, "certs", "ca.crt"),
      SIGNING_PROXY_CERT: join(m.fx.dir, "certs", "dave.crt"),
      SIGNING_PROXY_KEY: join(m.fx.dir, "certs", "dave.key"),
    };
    const manifestFile = join(dir, "manifest.json");
    writeFileSync(
      manifestFile,
      JSON.stringify({
        type: "rollback",
        target: "signer",
        version: 9,
        rollbackTo: 4,
        expires: new Date(Date.now() + 60_000).toISOString(),
      }),
    );
    const r = await run(["propose", "--policy", "upgrades", "--manifest", manifestFile], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^proposal [0-9a-f-]{36} pending: digest [0-9a-f]{64}, needs 3 of /);
    assert.equal(
      (await run(["propose", "--policy", "upgrades", "--manifest", manifestFile])).code,
      2,
      "no URL",
    );
    assert.equal((await run(["approve", "../x", "--kid", "k"], env)).code, 2, "bad id");
    assert.equal((await run(["frobnicate"], env)).code, 2);
    assert.equal(
      (await run(["verify", "--proof", join(dir, "missing.json"), "--keys", "x", "--policy", "y"])).code,
      2,
    );
  });
});
