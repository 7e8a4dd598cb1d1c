import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GENESIS_HASH } from "../../src/audit/event.js";
import { verifyAuditChain } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";
import { ed25519Pair, KID, rechain, SEALER, sealedChain, sealWith } from "./chain-fixture.js";
import { edit, firstBad, opts } from "./verify-helpers.js";

describe("verifyAuditChain: refusals name the first bad seq", () => {
  const events = sealedChain([3, 2, 3]);

  test("a value that is not an object", async () => {
    assert.deepEqual(await firstBad([events[0], "x"]), { seq: 1, reason: "not a JSON object" });
    assert.deepEqual(await firstBad([null]), { seq: 0, reason: "not a JSON object" });
    assert.deepEqual(await firstBad([[1]]), { seq: 0, reason: "not a JSON object" });
  });

  test("a missing field, an extra field, a field of the wrong type", async () => {
    const { requestId: _r, ...missing } = events[2]!;
    assert.deepEqual(await firstBad(edit(events, 2, () => missing)), {
      seq: 2,
      reason: "field requestId is missing",
    });
    assert.deepEqual(await firstBad(edit(events, 2, (e) => ({ ...e, note: "x" }))), {
      seq: 2,
      reason: 'unexpected field "note"',
    });
    const cases: [Partial<Record<keyof AuditEvent, unknown>>, string][] = [
      [{ seq: "2" }, "field seq must be a non-negative integer"],
      [{ seq: 2.5 }, "field seq must be a non-negative integer"],
      [{ kid: 7 }, "field kid must be a string or null"],
      [{ ts: null }, "field ts must be a string"],
      [{ hash: events[2]!.hash.toUpperCase() }, "field hash must be 64 lowercase hex characters"],
      [{ prevHash: "00" }, "field prevHash must be 64 lowercase hex characters"],
      [{ signature: 0 }, "field signature must be a string or null"],
    ];
    for (const [patch, reason] of cases) {
      assert.deepEqual(await firstBad(edit(events, 2, (e) => ({ ...e, ...patch }))), { seq: 2, reason });
    }
  });

  test("a log that does not start at seq 0", async () => {
    assert.deepEqual(await firstBad(events.slice(1)), { seq: 0, reason: "expected seq 0, found seq 1" });
  });

  test("a deleted event (gap), a repeated event, swapped events", async () => {
    const gap = events.filter((e) => e.seq !== 4);
    assert.deepEqual(await firstBad(gap), { seq: 4, reason: "expected seq 4, found seq 5" });
    const repeated = [...events.slice(0, 4), events[3], ...events.slice(4)];
    assert.deepEqual(await firstBad(repeated), { seq: 4, reason: "expected seq 4, found seq 3" });
    const swapped = [...events.slice(0, 3), events[4], events[3], ...events.slice(5)];
    assert.deepEqual(await firstBad(swapped), { seq: 3, reason: "expected seq 3, found seq 4" });
  });

  test("a genesis event whose prevHash is not 64 zeros", async () => {
    const bad = await firstBad(
      rechain(edit(events, 0, (e) => ({ ...e, prevHash: "1".repeat(64) })) as AuditEvent[], 1),
    );
    assert.deepEqual(bad, { seq: 0, reason: "prevHash of the first event is not 64 zeros" });
  });

  test("a prevHash that does not link to the previous event", async () => {
    const bad = await firstBad(edit(events, 5, (e) => ({ ...e, prevHash: GENESIS_HASH })));
    assert.deepEqual(bad, { seq: 5, reason: "prevHash does not match the hash of seq 4" });
  });

  test("an edited field (hash not recomputed) is a hash mismatch", async () => {
    const bad = await firstBad(edit(events, 1, (e) => ({ ...e, result: "forged" })));
    assert.equal(bad?.seq, 1);
    assert.match(bad?.reason ?? "", /^hash mismatch: the fields hash to [0-9a-f]{64}$/);
  });

  test("an edited field with every later hash recomputed is caught by the next seal", async () => {
    const forged = rechain(edit(events, 3, (e) => ({ ...e, principal: "someone-else" })) as AuditEvent[], 3);
    assert.deepEqual(await firstBad(forged), {
      seq: 4,
      reason: `seal does not verify with key "${KID}" (ed25519)`,
    });
  });

  test("a lone surrogate has no canonical form", async () => {
    const bad = await firstBad(edit(events, 1, (e) => ({ ...e, principal: "\ud800" })));
    assert.equal(bad?.seq, 1);
    assert.match(bad?.reason ?? "", /^event has no canonical form/);
  });

  test("a seal made with a foreign key", async () => {
    const foreign = ed25519Pair();
    const bad = await firstBad(edit(events, 2, (e) => sealWith(e, foreign.privateKey)));
    assert.deepEqual(bad, { seq: 2, reason: `seal does not verify with key "${KID}" (ed25519)` });
  });

  test("a seal by a kid the verifier was not given", async () => {
    const other = sealedChain([2], (e) => sealWith(e), "rogue-kid");
    assert.deepEqual(await firstBad(other), { seq: 1, reason: 'seal by unknown key "rogue-kid"' });
  });

  test("a seal by a revoked key", async () => {
    const keys = new Map([
      [KID, { alg: "ed25519" as const, publicKeyPem: SEALER.pem, status: "revoked" as const }],
    ]);
    assert.deepEqual(await firstBad(events, { keys }), { seq: 2, reason: `sealed by revoked key "${KID}"` });
  });

  test("a seal that is not canonical padded base64", async () => {
    const sig = events[2]!.signature!;
    for (const variant of [
      sig.replace(/=+$/, ""),
      sig.replaceAll("+", "-").replaceAll("/", "_"),
      ` ${sig}`,
    ]) {
      if (variant === sig) continue;
      const bad = await firstBad(edit(events, 2, (e) => ({ ...e, signature: variant })));
      assert.deepEqual(bad, { seq: 2, reason: "seal signature is not canonical base64" });
    }
  });

  test("a trusted key that cannot verify the alg is reported, not thrown", async () => {
    const keys = new Map([[KID, { alg: "rsa-sha256" as const, publicKeyPem: SEALER.pem }]]);
    const bad = await firstBad(events, { keys });
    assert.equal(bad?.seq, 2);
    assert.match(bad?.reason ?? "", /cannot verify rsa-sha256 seals/);
  });

  test("a removed last seal: the log ends on an unsealed event", async () => {
    const report = await verifyAuditChain(
      edit(events, 7, (e) => ({ ...e, signature: null })),
      opts,
    );
    assert.deepEqual(report.firstBad, {
      seq: 7,
      reason: "log ends on an unsealed event (the last event must carry a seal)",
    });
    assert.deepEqual([report.count, report.seals, report.head?.seq], [8, 2, 7]);
  });

  test("an appended, well-chained, correctly hashed but unsealed event", async () => {
    const [extra] = rechain([...events, { ...events[7]!, seq: 8, signature: null }], 8).slice(8);
    const bad = await firstBad([...events, extra]);
    assert.deepEqual(bad, {
      seq: 8,
      reason: "log ends on an unsealed event (the last event must carry a seal)",
    });
  });

  test("a log truncated back to an earlier seal passes alone but not with the old head pinned", async () => {
    const truncated = events.slice(0, 5);
    assert.equal((await verifyAuditChain(truncated, opts)).ok, true);
    const last = events.at(-1)!;
    const bad = await firstBad(truncated, { ...opts, pinHead: { seq: last.seq, hash: last.hash } });
    assert.deepEqual(bad, {
      seq: 7,
      reason: "pinned head seq 7 is missing: the log ends at seq 4 (truncated)",
    });
  });

  test("a pinned head on an empty log, and a pinned seq whose hash changed", async () => {
    const pinHead = { seq: 0, hash: events[0]!.hash };
    assert.deepEqual(await firstBad([], { ...opts, pinHead }), {
      seq: 0,
      reason: "pinned head seq 0 is missing: the log is empty (truncated)",
    });
    const other = sealedChain([3, 2, 3]);
    const bad = await firstBad(other, { ...opts, pinHead: { seq: 4, hash: events[4]!.hash } });
    assert.deepEqual(bad, {
      seq: 4,
      reason: `hash ${other[4]!.hash} differs from the pinned head hash ${events[4]!.hash}`,
    });
  });

  test("a malformed pinHead is the caller's mistake (TypeError)", async () => {
    for (const pinHead of [
      { seq: -1, hash: GENESIS_HASH },
      { seq: 1, hash: "ABC" },
      { seq: 1.5, hash: GENESIS_HASH },
    ]) {
      await assert.rejects(verifyAuditChain(events, { ...opts, pinHead }), TypeError);
    }
  });
});
