import assert from "node:assert/strict";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { describe, test } from "node:test";
import { AuditSourceError, verifyAuditChain } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";
import { KID, SEALER, sealedChain } from "./chain-fixture.js";
import { edit, firstBad, opts } from "./verify-helpers.js";

describe("verifyAuditChain: logs that hold", () => {
  test("an empty log verifies with count 0 and no head", async () => {
    assert.deepEqual(await verifyAuditChain([], opts), { ok: true, count: 0, head: null, seals: 0 });
  });

  test("several sealed batches verify; count, seals and head are reported", async () => {
    const events = sealedChain([3, 1, 4, 2]);
    const last = events.at(-1)!;
    assert.deepEqual(await verifyAuditChain(events, opts), {
      ok: true,
      count: 10,
      head: { seq: 9, hash: last.hash },
      seals: 4,
    });
  });

  test("an async source is consumed as a stream", async () => {
    const events = sealedChain([2, 2]);
    async function* source() {
      for (const e of events) yield e;
    }
    assert.equal((await verifyAuditChain(source(), opts)).ok, true);
  });

  test("a pinned head that is still in the log (head or earlier) passes", async () => {
    const events = sealedChain([2, 3]);
    for (const e of [events[1]!, events[4]!]) {
      const report = await verifyAuditChain(events, { ...opts, pinHead: { seq: e.seq, hash: e.hash } });
      assert.equal(report.ok, true);
    }
  });

  test("retired and candidate keys still verify their seals; only revocation stops them", async () => {
    for (const status of ["active", "retired", "candidate"] as const) {
      const keys = new Map([[KID, { alg: "ed25519" as const, publicKeyPem: SEALER.pem, status }]]);
      assert.equal((await verifyAuditChain(sealedChain([2]), { keys })).ok, true, status);
    }
  });
});

describe("verifyAuditChain: HMAC seals", () => {
  const secret = randomBytes(32);
  const mac = (e: AuditEvent) => createHmac("sha256", secret).update(Buffer.from(e.hash, "hex")).digest();
  const events = sealedChain([2, 3], (e) => ({ ...e, signature: mac(e).toString("base64") }), "audit-hmac");
  const keys = new Map([["audit-hmac", { alg: "hmac-sha256" as const, publicKeyPem: null }]]);
  const verifySymmetric = async (kid: string, digest: Buffer, sig: Buffer) => {
    assert.equal(kid, "audit-hmac");
    const expected = createHmac("sha256", secret).update(digest).digest();
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  };

  test("verify with the secret through verifySymmetric", async () => {
    const report = await verifyAuditChain(events, { keys, verifySymmetric });
    assert.deepEqual([report.ok, report.seals], [true, 2]);
  });

  test("without verifySymmetric an HMAC seal is unverifiable, which is a failure", async () => {
    const bad = await firstBad(events, { keys });
    assert.equal(bad?.seq, 1);
    assert.match(bad?.reason ?? "", /unverifiable without its secret/);
  });

  test("a verifySymmetric that throws makes the seal unverifiable", async () => {
    const bad = await firstBad(events, {
      keys,
      verifySymmetric: async () => {
        throw new Error("secret store down");
      },
    });
    assert.deepEqual(bad, {
      seq: 1,
      reason: 'seal by hmac-sha256 key "audit-hmac" is unverifiable: secret store down',
    });
  });

  test("a MAC under another secret does not verify", async () => {
    const forged = edit(events, 4, (e) => ({ ...e, signature: randomBytes(32).toString("base64") }));
    assert.deepEqual(await firstBad(forged, { keys, verifySymmetric }), {
      seq: 4,
      reason: 'seal does not verify with key "audit-hmac" (hmac-sha256)',
    });
  });
});

describe("verifyAuditChain: streaming", () => {
  test("count and head on failure cover only the events before the first bad one", async () => {
    const events = sealedChain([3, 3]);
    const report = await verifyAuditChain(
      edit(events, 4, (e) => ({ ...e, op: "x" })),
      opts,
    );
    assert.deepEqual([report.count, report.seals, report.head], [4, 1, { seq: 3, hash: events[3]!.hash }]);
  });

  test("stops reading at the first failure and closes the source", async () => {
    const events = sealedChain([2, 2, 2]);
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (const e of edit(events, 1, (x) => ({ ...x, result: "forged" }))) {
          pulled++;
          yield e;
        }
      } finally {
        closed = true;
      }
    }
    await verifyAuditChain(source(), opts);
    assert.deepEqual([pulled, closed], [2, true]);
  });

  test("an AuditSourceError becomes the first bad seq; any other source error propagates", async () => {
    const events = sealedChain([2]);
    async function* broken(err: Error) {
      yield events[0];
      throw err;
    }
    const report = await verifyAuditChain(broken(new AuditSourceError("line 2: malformed JSON")), opts);
    assert.deepEqual(report.firstBad, { seq: 1, reason: "line 2: malformed JSON" });
    await assert.rejects(verifyAuditChain(broken(new Error("disk gone")), opts), /disk gone/);
  });

  test("a long log streams through (20 000 events, 2 000 seals)", async () => {
    const events = sealedChain(Array.from({ length: 2000 }, () => 10));
    function* source() {
      yield* events;
    }
    const report = await verifyAuditChain(source(), opts);
    assert.deepEqual([report.ok, report.count, report.seals], [true, 20_000, 2000]);
  });
});
