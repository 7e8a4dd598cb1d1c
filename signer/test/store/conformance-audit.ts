import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AuditEvent, type Store, StoreConflictError } from "../../src/store/store.js";
import {
  continueChain,
  makeEvent,
  type OpenTestStore,
  sha256Hex,
  sleep,
  withStore,
  ZERO_HASH,
} from "./fixtures.js";

/** Assert the store holds exactly one linked chain 0..n-1 and its head is the last event. */
export async function assertContiguousChain(store: Store, n: number): Promise<AuditEvent[]> {
  const events = await store.readAuditEvents(0, n + 10);
  assert.equal(events.length, n);
  events.forEach((e, i) => {
    assert.equal(e.seq, i);
    assert.equal(e.prevHash, i === 0 ? ZERO_HASH : events[i - 1]?.hash);
  });
  assert.deepEqual(await store.auditHead(), n === 0 ? null : { seq: n - 1, hash: events.at(-1)?.hash });
  return events;
}

type Breaker = (events: AuditEvent[]) => AuditEvent[];

const BROKEN_BATCHES: readonly [string, Breaker][] = [
  ["first seq skips ahead", (es) => es.map((e) => ({ ...e, seq: e.seq + 1 }))],
  ["first seq repeats the head", (es) => es.map((e) => ({ ...e, seq: e.seq - 1 }))],
  ["a gap inside the batch", (es) => es.map((e, i) => (i === 2 ? { ...e, seq: e.seq + 1 } : e))],
  [
    "first prevHash is not the head hash",
    (es) => es.map((e, i) => (i === 0 ? { ...e, prevHash: sha256Hex("x") } : e)),
  ],
  [
    "a middle prevHash does not link",
    (es) => es.map((e, i) => (i === 1 ? { ...e, prevHash: ZERO_HASH } : e)),
  ],
  [
    "a hash that is not lowercase hex",
    (es) => es.map((e, i) => (i === 0 ? { ...e, hash: e.hash.toUpperCase() } : e)),
  ],
];

/** The audit-log half of the conformance suite. */
export function auditConformance(open: OpenTestStore): void {
  describe("audit log", () => {
    test("an empty log has a null head and no events", () =>
      withStore(open, async (store) => {
        assert.equal(await store.auditHead(), null);
        assert.deepEqual(await store.readAuditEvents(0, 10), []);
      }));

    test("the genesis batch starts at seq 0 with a 64-zero prevHash", () =>
      withStore(open, async (store) => {
        let seen: unknown = "not called";
        const written = await store.appendAuditBatch(async (head) => {
          seen = head;
          return continueChain(head, 3);
        });
        assert.equal(seen, null);
        assert.equal(written[0]?.seq, 0);
        assert.equal(written[0]?.prevHash, ZERO_HASH);
        assert.deepEqual(await assertContiguousChain(store, 3), written);
      }));

    test("genesis with a non-zero prevHash is refused", () =>
      withStore(open, async (store) => {
        const bad = [makeEvent(0, sha256Hex("not genesis"))];
        await assert.rejects(
          store.appendAuditBatch(async () => bad),
          StoreConflictError,
        );
        assert.equal(await store.auditHead(), null);
      }));

    test("batches chain onto the head they are given", () =>
      withStore(open, async (store) => {
        for (const size of [1, 4, 2]) {
          const before = await store.auditHead();
          await store.appendAuditBatch(async (head) => {
            assert.deepEqual(head, before);
            return continueChain(head, size);
          });
        }
        await assertContiguousChain(store, 7);
      }));

    for (const [label, breakBatch] of BROKEN_BATCHES) {
      test(`a batch that does not continue the head is refused and writes nothing: ${label}`, () =>
        withStore(open, async (store) => {
          await store.appendAuditBatch(async (head) => continueChain(head, 2));
          const headBefore = await store.auditHead();
          const attempt = store.appendAuditBatch(async (head) => breakBatch(continueChain(head, 4)));
          await assert.rejects(attempt, StoreConflictError);
          assert.deepEqual(await store.auditHead(), headBefore);
          await assertContiguousChain(store, 2);
        }));
    }

    test("a builder that throws writes nothing, keeps the head, and the next append works", () =>
      withStore(open, async (store) => {
        await store.appendAuditBatch(async (head) => continueChain(head, 1));
        const headBefore = await store.auditHead();
        const boom = new Error("seal failed");
        await assert.rejects(
          store.appendAuditBatch(async () => {
            await sleep(1);
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.deepEqual(await store.auditHead(), headBefore);
        await store.appendAuditBatch(async (head) => continueChain(head, 1));
        await assertContiguousChain(store, 2);
      }));

    test("a batch that fails while inserting (a NOT NULL column) writes none of its events", () =>
      withStore(open, async (store) => {
        await store.appendAuditBatch(async (head) => continueChain(head, 1));
        const attempt = store.appendAuditBatch(async (head) => {
          const a = makeEvent(1, head?.hash ?? "");
          // The chain links are right, so only the database refuses it, at the second row.
          const bad = makeEvent(2, a.hash, { principal: null as unknown as string });
          return [a, bad];
        });
        await assert.rejects(attempt, StoreConflictError);
        await assertContiguousChain(store, 1);
      }));

    test("an empty batch is a no-op", () =>
      withStore(open, async (store) => {
        assert.deepEqual(await store.appendAuditBatch(async () => []), []);
        assert.equal(await store.auditHead(), null);
      }));

    test("20 concurrent appends form one contiguous chain", () =>
      withStore(open, async (store) => {
        const sizes = Array.from({ length: 20 }, (_, i) => (i % 3) + 1);
        await Promise.all(
          sizes.map((size) =>
            store.appendAuditBatch(async (head) => {
              await sleep(Math.floor(Math.random() * 4));
              return continueChain(head, size);
            }),
          ),
        );
        await assertContiguousChain(
          store,
          sizes.reduce((a, b) => a + b, 0),
        );
      }));

    test("readAuditEvents pages by fromSeq and limit", () =>
      withStore(open, async (store) => {
        const all = [
          ...(await store.appendAuditBatch(async (h) => continueChain(h, 6))),
          ...(await store.appendAuditBatch(async (h) => continueChain(h, 4))),
        ];
        const paged: AuditEvent[] = [];
        for (let from = 0; ; ) {
          const page = await store.readAuditEvents(from, 3);
          if (page.length === 0) break;
          paged.push(...page);
          from = (page.at(-1)?.seq ?? 0) + 1;
        }
        assert.deepEqual(paged, all);
        assert.deepEqual(await store.readAuditEvents(4, 2), all.slice(4, 6));
        assert.deepEqual(await store.readAuditEvents(9, 100), all.slice(9));
        assert.deepEqual(await store.readAuditEvents(10, 5), []);
        assert.deepEqual(await store.readAuditEvents(0, 0), []);
        await assert.rejects(store.readAuditEvents(-1, 5), RangeError);
        await assert.rejects(store.readAuditEvents(0, 1.5), RangeError);
      }));

    test("every event field round-trips byte-identically, nulls included", () =>
      withStore(open, async (store) => {
        const written = await store.appendAuditBatch(async () => {
          const a = makeEvent(0, ZERO_HASH, { kid: null, alg: null, digestHex: null, signature: null });
          const b = makeEvent(1, a.hash, {
            ts: "2025-12-31T23:59:60.999999+14:00",
            principal: 'prïncipal ☃ "q" \\ \n',
            op: "multisig.approve",
            result: "error:ERR_FORBIDDEN",
            requestId: "",
            signature: "MEUCIQ+/=",
          });
          return [a, b];
        });
        const read = await store.readAuditEvents(0, 10);
        assert.deepEqual(read, written);
        for (const [i, event] of read.entries()) {
          assert.equal(JSON.stringify(event), JSON.stringify(written[i]));
        }
      }));
  });
}
