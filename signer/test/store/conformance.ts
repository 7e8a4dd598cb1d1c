import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { KEY_STATUSES } from "../../src/algorithms.js";
import { StoreConflictError, StoreUnavailableError } from "../../src/store/store.js";
import { apiKeyConformance } from "./conformance-api-keys.js";
import { auditConformance } from "./conformance-audit.js";
import { continueChain, makeKey, type OpenTestStore, sleep, withStore } from "./fixtures.js";

/**
 * The behaviour every Store must show, as node:test tests. `open` must return a fresh, empty store
 * per call; `cleanup` runs once after the suite.
 */
export function runStoreConformance(name: string, open: OpenTestStore, cleanup?: () => Promise<void>): void {
  describe(`Store conformance: ${name}`, () => {
    after(async () => {
      await cleanup?.();
    });
    keyConformance(open);
    auditConformance(open);
    apiKeyConformance(open);
    lifecycleConformance(open);
  });
}

function keyConformance(open: OpenTestStore): void {
  describe("keys", () => {
    test("migrate twice is a no-op that keeps the data", () =>
      withStore(open, async (store) => {
        await store.registerKey(makeKey("k1"));
        const [event] = await store.appendAuditBatch(async (head) => continueChain(head, 1));
        await store.migrate();
        assert.deepEqual(await store.getKey("k1"), makeKey("k1"));
        assert.deepEqual(await store.auditHead(), { seq: 0, hash: event?.hash });
      }));

    test("registerKey inserts and returns the record", () =>
      withStore(open, async (store) => {
        const key = makeKey("k1");
        assert.deepEqual(await store.registerKey(key), key);
        assert.deepEqual(await store.getKey("k1"), key);
      }));

    test("registering an existing kid returns the original unchanged (no re-binding)", () =>
      withStore(open, async (store) => {
        const original = makeKey("k1");
        await store.registerKey(original);
        const again = makeKey("k1", {
          alg: "rsa-sha256",
          publicKeyPem: "other",
          status: "revoked",
          description: "attacker",
          backend: "awskms",
          deployedAt: "2030-01-01T00:00:00Z",
        });
        assert.deepEqual(await store.registerKey(again), original);
        assert.deepEqual(await store.getKey("k1"), original);
      }));

    test("getKey of an unknown kid is null", () =>
      withStore(open, async (store) => {
        assert.equal(await store.getKey("nope"), null);
      }));

    test("listKeys is sorted by kid in byte order", () =>
      withStore(open, async (store) => {
        for (const kid of ["b", "A", "a-1", "a", "B"]) await store.registerKey(makeKey(kid));
        const kids = (await store.listKeys()).map((k) => k.kid);
        assert.deepEqual(kids, ["A", "B", "a", "a-1", "b"]);
      }));

    test("key fields round-trip exactly, including a null PEM (HMAC)", () =>
      withStore(open, async (store) => {
        const hmac = makeKey("hmac", {
          alg: "hmac-sha256",
          publicKeyPem: null,
          status: "candidate",
          description: "",
          deployedAt: "2025-06-01T00:00:00.000000001+05:30",
        });
        const fancy = makeKey("fancy", { description: 'Prüf-Schlüssel ☃ \n\t"quoted"' });
        await store.registerKey(hmac);
        await store.registerKey(fancy);
        assert.deepEqual(await store.getKey("hmac"), hmac);
        assert.deepEqual(await store.listKeys(), [fancy, hmac]);
      }));

    test("setKeyStatus changes status and updatedAt only", () =>
      withStore(open, async (store) => {
        const key = makeKey("k1", { status: "candidate" });
        await store.registerKey(key);
        for (const [i, status] of KEY_STATUSES.entries()) {
          const at = `2025-07-0${i + 1}T00:00:00Z`;
          const updated = await store.setKeyStatus("k1", status, at);
          assert.deepEqual(updated, { ...key, status, updatedAt: at });
          assert.deepEqual(await store.getKey("k1"), updated);
        }
      }));

    test("setKeyStatus of an unknown kid is a StoreConflictError", () =>
      withStore(open, async (store) => {
        await assert.rejects(
          store.setKeyStatus("nope", "revoked", "2025-07-01T00:00:00Z"),
          StoreConflictError,
        );
        assert.equal(await store.getKey("nope"), null);
      }));
  });
}

function lifecycleConformance(open: OpenTestStore): void {
  describe("lifecycle", () => {
    test("ping succeeds on an open store", () => withStore(open, (store) => store.ping()));

    test("close is idempotent and every operation afterwards is StoreUnavailableError", async () => {
      const store = await open();
      await store.migrate();
      await store.close();
      await store.close();
      const ops: [string, () => Promise<unknown>][] = [
        ["migrate", () => store.migrate()],
        ["ping", () => store.ping()],
        ["registerKey", () => store.registerKey(makeKey("k"))],
        ["getKey", () => store.getKey("k")],
        ["listKeys", () => store.listKeys()],
        ["setKeyStatus", () => store.setKeyStatus("k", "retired", "2025-01-01T00:00:00Z")],
        ["appendAuditBatch", () => store.appendAuditBatch(async (head) => continueChain(head, 1))],
        ["auditHead", () => store.auditHead()],
        ["readAuditEvents", () => store.readAuditEvents(0, 10)],
      ];
      for (const [op, run] of ops) {
        await assert.rejects(run(), StoreUnavailableError, `${op} after close`);
      }
    });

    test("close lets an append already in flight commit", async () => {
      const store = await open();
      await store.migrate();
      const pending = store.appendAuditBatch(async (head) => {
        await sleep(30);
        return continueChain(head, 2);
      });
      await sleep(5);
      const closed = store.close();
      const events = await pending;
      await closed;
      assert.equal(events.length, 2);
    });
  });
}
