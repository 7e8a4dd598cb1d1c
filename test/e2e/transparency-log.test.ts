import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  checkpointExtends,
  type LogReceipt,
  openCheckpoint,
  parseVerifierKey,
  verifyLogReceipt,
} from "@signing-proxy/client-sdk";
import { runSigner } from "../helpers/cli.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

const ORIGIN = "signer.test/log";
type Json = Record<string, unknown>;

describe("transparency log over the running service", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture({ transparencyLog: true });
  });
  after(async () => fx.close());

  async function sign(): Promise<{ digestHex: string; logIndex: number }> {
    const digestHex = randomBytes(32).toString("hex");
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, { body: { digestHex } });
    assert.equal(res.status, 200, res.text);
    const body = res.body as Json;
    assert.equal(body.logIndex, body.auditSeq);
    return { digestHex, logIndex: body.logIndex as number };
  }

  test("signatures get a logIndex whose receipt verifies offline against the signed checkpoint", async () => {
    const signed = [await sign(), await sign(), await sign()];
    const auditor = fx.agent("auditor");
    const keyRes = await call(auditor, `${fx.service.url}/log/key`);
    assert.equal(keyRes.status, 200);
    const vk = parseVerifierKey(keyRes.text.trim());
    assert.equal(vk.name, ORIGIN);
    for (const s of signed) {
      const res = await call(auditor, `${fx.service.url}/log/receipt/${s.logIndex}`);
      assert.equal(res.status, 200, res.text);
      const receipt = res.body as LogReceipt;
      const cp = verifyLogReceipt(receipt, [vk], ORIGIN);
      assert.ok(cp.size > s.logIndex);
      assert.equal(receipt.event.digestHex, s.digestHex);
      // Altering any field of the event breaks the inclusion proof.
      const forged = { ...receipt, event: { ...receipt.event, digestHex: "0".repeat(64) } };
      assert.throws(() => verifyLogReceipt(forged, [vk], ORIGIN), /inclusion proof/);
    }
    // The log key is published with the others.
    const keys = await call(auditor, `${fx.service.url}/keys/k-log`);
    assert.equal(keys.status, 200, keys.text);
  });

  test("a pinned checkpoint is extended by the next one (consistency proof from the API)", async () => {
    const agent = fx.agent("memory-layer");
    const first = await call(agent, `${fx.service.url}/log/checkpoint`);
    assert.equal(first.status, 200);
    assert.match(String(first.headers["content-type"]), /^text\/plain/);
    const vk = parseVerifierKey((await call(agent, `${fx.service.url}/log/key`)).text.trim());
    const pinned = openCheckpoint(first.text, [vk], ORIGIN);
    const { logIndex } = await sign();
    // The receipt route issues the covering checkpoint if the timer has not yet.
    await call(fx.agent("auditor"), `${fx.service.url}/log/receipt/${logIndex}`);
    const next = openCheckpoint((await call(agent, `${fx.service.url}/log/checkpoint`)).text, [vk], ORIGIN);
    assert.ok(next.size > pinned.size);
    const res = await call(
      agent,
      `${fx.service.url}/log/proof/consistency?from=${pinned.size}&to=${next.size}`,
    );
    assert.equal(res.status, 200, res.text);
    const body = res.body as { from: number; to: number; proof: string[] };
    assert.deepEqual([body.from, body.to], [pinned.size, next.size]);
    assert.ok(checkpointExtends(pinned, next, body.proof));
    assert.ok(!checkpointExtends(pinned, { ...next, rootHash: Buffer.alloc(32) }, body.proof));
    const inc = await call(agent, `${fx.service.url}/log/proof/inclusion?index=0&size=${next.size}`);
    assert.equal(inc.status, 200, inc.text);

    // The same checks offline with the CLI, from files.
    const file = (name: string, content: string) => {
      const path = join(fx.dir, name);
      writeFileSync(path, content);
      return path;
    };
    const receipt = await call(fx.agent("auditor"), `${fx.service.url}/log/receipt/${logIndex}`);
    const args = [
      "log",
      "verify",
      "--checkpoint",
      file("next.note", (await call(agent, `${fx.service.url}/log/checkpoint`)).text),
      "--key",
      `${vk.name}+${vk.keyIdHex}+${(await call(agent, `${fx.service.url}/log/key`)).text.trim().split("+").slice(2).join("+")}`,
      "--origin",
      ORIGIN,
      "--pin",
      file("pinned.note", first.text),
      "--receipt",
      file("receipt.json", receipt.text),
    ];
    const ok = runSigner([...args, "--consistency", file("proof.json", res.text)], {});
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /consistent with pinned size/);
    const forged = JSON.stringify({
      ...body,
      proof: body.proof.map(() => Buffer.alloc(32).toString("base64")),
    });
    const bad = runSigner([...args, "--consistency", file("forged.json", forged)], {});
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /does not extend the pinned checkpoint/);
  });

  test("refusals: receipts are for auditors, sizes beyond the log are 404, bad queries 400", async () => {
    const svc = fx.agent("memory-layer");
    assert.equal((await call(svc, `${fx.service.url}/log/receipt/0`)).status, 403);
    assert.equal((await call(svc, `${fx.service.url}/log/proof/inclusion?index=0&size=99999`)).status, 404);
    assert.equal((await call(svc, `${fx.service.url}/log/proof/consistency?from=0&to=1`)).status, 400);
    assert.equal((await call(svc, `${fx.service.url}/log/proof/inclusion?index=x&size=1`)).status, 400);
  });
});

describe("the log key is dedicated (refused at start-up)", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["logKid is the default key", { defaultKid: "k-log" }, /also defaultKid/],
    ["logKid is the audit key", { auditKid: "k-log" }, /also auditKid/],
    [
      "logKid is granted to a principal",
      { principals: [{ id: "svc", match: { cn: "memory-layer" }, roles: ["service"], keys: ["k-log"] }] },
      /granted to principal svc/,
    ],
    ["logKid is not Ed25519", { logKid: "k-rsa" }, /must be an ed25519 key/],
    ["logOrigin is missing", { logOrigin: undefined }, /logOrigin must be set/],
  ];
  for (const [name, configPatch, message] of cases) {
    test(name, async () => {
      await assert.rejects(startFixture({ transparencyLog: true, configPatch }), message);
    });
  }
});
