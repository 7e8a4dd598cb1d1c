import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DescribeKeyCommand, ListKeysCommand, SignCommand } from "@aws-sdk/client-kms";
import { runSigner, spawnSigner, waitForOutput } from "../../../test/helpers/cli.js";
import { createKmsKey, kmsClient } from "../../../test/helpers/mock-kms.js";
import { startMockKms } from "../../src/kms-mock/server.js";

describe("mock-kms state file", () => {
  const dir = mkdtempSync(join(tmpdir(), "mock-kms-state-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("keys and aliases persist across a restart; the file is 0600 and replaced atomically", async () => {
    const statePath = join(dir, "nested", "state.json");
    const first = await startMockKms({ port: 0, statePath });
    const client = kmsClient(first.url);
    const { arn } = await createKmsKey(client, "ed25519", "alias/persisted");
    const digest = randomBytes(32);
    const sign = async (c: typeof client) =>
      Buffer.from(
        (
          await c.send(
            new SignCommand({
              KeyId: "alias/persisted",
              Message: digest,
              MessageType: "RAW",
              SigningAlgorithm: "ED25519_SHA_512",
            }),
          )
        ).Signature!,
      );
    const before = await sign(client);
    client.destroy();
    await first.close();
    assert.equal(statSync(statePath).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, "nested")), ["state.json"], "no temp files left behind");

    const second = await startMockKms({ port: 0, statePath });
    const again = kmsClient(second.url);
    const described = await again.send(new DescribeKeyCommand({ KeyId: "alias/persisted" }));
    assert.equal(described.KeyMetadata?.Arn, arn);
    assert.deepEqual(await sign(again), before, "same key after the restart (Ed25519 is deterministic)");
    again.destroy();
    await second.close();
  });

  test("a corrupt state file refuses to start instead of being overwritten", async () => {
    const statePath = join(dir, "corrupt.json");
    writeFileSync(statePath, "{ not json");
    await assert.rejects(startMockKms({ port: 0, statePath }), /state file .* is not usable: not JSON/);
  });
});

describe("signer mock-kms CLI", () => {
  test("--help says it is not a security boundary; bad flags are refused", () => {
    const help = runSigner(["mock-kms", "--help"], {});
    assert.equal(help.status, 0);
    assert.match(help.stdout, /NOT A SECURITY BOUNDARY/);
    assert.match(help.stdout, /--throttle-rate/);
    const bad = runSigner(["mock-kms", "--throttle-rate", "2"], {});
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--throttle-rate must be a number from 0 to 1/);
  });

  test("serves the protocol until SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mock-kms-cli-"));
    const child = spawnSigner(
      ["mock-kms", "--port", "0", "--state", join(dir, "s.json"), "--latency-ms", "1"],
      {},
    );
    try {
      const out = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const client = kmsClient(url);
      await createKmsKey(client, "ecdsa-sha256");
      assert.equal((await client.send(new ListKeysCommand({}))).Keys?.length, 1);
      client.destroy();
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
