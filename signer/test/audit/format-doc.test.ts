import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalize } from "@signing-proxy/client-sdk";
import { opensslVerify } from "../../../test/helpers/openssl.js";
import { exportLine } from "../../src/audit/export-jsonl.js";
import { verifyAuditChain } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";

// The worked example in docs/audit-format.md is what auditors build their verifiers against:
// these tests fail when the document and the code stop agreeing.
const doc = readFileSync(new URL("../../../docs/audit-format.md", import.meta.url), "utf8");
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] ?? "" }));
const jsonl = blocks.find((b) => b.lang === "json")?.body ?? "";
const events = jsonl
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as AuditEvent);
const pem = /-----BEGIN PUBLIC KEY-----\n[\s\S]*?-----END PUBLIC KEY-----\n/.exec(doc)?.[0] ?? "";

test("the documented example events are exactly what the export writes", () => {
  assert.equal(events.length, 2);
  assert.equal(events.map(exportLine).join(""), jsonl);
});

test("the documented canonical bytes and hashes are what the code computes", () => {
  const canonicalBlocks = blocks.filter((b) => b.lang === "" && b.body.startsWith('{"alg":'));
  assert.equal(canonicalBlocks.length, 2);
  events.forEach((event, i) => {
    const { hash, signature: _s, ...rest } = event;
    const bytes = Buffer.from(canonicalize(rest), "utf8");
    assert.equal(`${bytes.toString("utf8")}\n`, canonicalBlocks[i]?.body);
    assert.ok(doc.includes(`(${bytes.length} `), `the byte count ${bytes.length} is stated`);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), hash);
  });
});

test("the documented seal verifies with the documented key, by our verifier and by openssl", async () => {
  const keys = new Map([["log-ed25519-v1", { alg: "ed25519" as const, publicKeyPem: pem }]]);
  const report = await verifyAuditChain(events, { keys });
  assert.deepEqual(report, { ok: true, count: 2, head: { seq: 1, hash: events[1]!.hash }, seals: 1 });
  const sealed = events[1]!;
  const sig = Buffer.from(sealed.signature ?? "", "base64");
  assert.equal(opensslVerify("ed25519", pem, Buffer.from(sealed.hash, "hex"), sig), true);
});
