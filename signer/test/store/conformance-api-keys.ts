import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ApiKeyRecord } from "../../src/store/api-key-rows.js";
import { StoreConflictError } from "../../src/store/store.js";
import { type OpenTestStore, withStore } from "./fixtures.js";

/** A record with defaults; `over` replaces fields. */
export function makeApiKey(id: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    name: `key ${id}`,
    principal: "memory-layer",
    permissions: ["sign:hash", "verify"],
    keys: ["k1", "k2"],
    keyHash: "a".repeat(64),
    createdAt: "2025-06-01T00:00:00.000Z",
    expiresAt: "2025-06-02T00:00:00.000Z",
    revokedAt: null,
    ...over,
  };
}

/** The API-key behaviour every Store must show (issue 7: keys are looked up per request, revoked in place). */
export function apiKeyConformance(open: OpenTestStore): void {
  describe("api keys", () => {
    test("createApiKey then getApiKey returns the same record, scope lists intact", () =>
      withStore(open, async (store) => {
        const record = makeApiKey("0123456789abcdef", { keys: [], permissions: ["verify"] });
        await store.createApiKey(record);
        assert.deepEqual(await store.getApiKey(record.id), record);
        assert.equal(await store.getApiKey("ffffffffffffffff"), null);
      }));

    test("a duplicate id is a conflict and leaves the first record unchanged", () =>
      withStore(open, async (store) => {
        const first = makeApiKey("0123456789abcdef");
        await store.createApiKey(first);
        await assert.rejects(
          store.createApiKey(makeApiKey(first.id, { principal: "attacker", keyHash: "b".repeat(64) })),
          StoreConflictError,
        );
        assert.deepEqual(await store.getApiKey(first.id), first);
      }));

    test("revokeApiKey keeps the first revocation time; an unknown id is a conflict", () =>
      withStore(open, async (store) => {
        await store.createApiKey(makeApiKey("0123456789abcdef"));
        const once = await store.revokeApiKey("0123456789abcdef", "2025-06-01T01:00:00.000Z");
        assert.equal(once.revokedAt, "2025-06-01T01:00:00.000Z");
        const twice = await store.revokeApiKey("0123456789abcdef", "2025-06-01T02:00:00.000Z");
        assert.equal(twice.revokedAt, "2025-06-01T01:00:00.000Z");
        assert.equal((await store.getApiKey("0123456789abcdef"))?.revokedAt, "2025-06-01T01:00:00.000Z");
        await assert.rejects(
          store.revokeApiKey("ffffffffffffffff", "2025-06-01T01:00:00.000Z"),
          StoreConflictError,
        );
      }));

    test("listApiKeys returns every record in creation order", () =>
      withStore(open, async (store) => {
        await store.createApiKey(makeApiKey("bbbbbbbbbbbbbbbb", { createdAt: "2025-06-01T00:00:02.000Z" }));
        await store.createApiKey(makeApiKey("aaaaaaaaaaaaaaaa", { createdAt: "2025-06-01T00:00:01.000Z" }));
        const ids = (await store.listApiKeys()).map((k) => k.id);
        assert.deepEqual(ids, ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
      }));

    test("a hash of the wrong length is refused by the schema", () =>
      withStore(open, async (store) => {
        await assert.rejects(store.createApiKey(makeApiKey("0123456789abcdef", { keyHash: "abc" })));
        assert.equal(await store.getApiKey("0123456789abcdef"), null);
      }));
  });
}
