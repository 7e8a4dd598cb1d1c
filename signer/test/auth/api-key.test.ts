import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import type { AuditInput } from "../../src/audit/event.js";
import {
  ApiKeyAdminError,
  issueApiKey,
  revokeApiKey,
  scopeDigest,
  viewOf,
} from "../../src/auth/api-key-admin.js";
import { checkIssuedKey, restrictPrincipal, scopeProblems } from "../../src/auth/api-key-scope.js";
import {
  apiKeyHashMatches,
  generateApiKey,
  hashApiKey,
  issuedKeyId,
  parseExpiresIn,
} from "../../src/auth/api-key-token.js";
import { permissionsOf } from "../../src/auth/permissions.js";
import type { Principal } from "../../src/auth/principal.js";
import type { PrincipalConfig } from "../../src/config/types.js";
import type { ApiKeyRecord } from "../../src/store/api-key-rows.js";

const principal: Principal = {
  id: "memory-layer",
  roles: ["service"],
  permissions: permissionsOf(["service"]),
  keys: new Set(["k1", "k2"]),
  requireApiKey: true,
};
const config: PrincipalConfig = {
  id: "memory-layer",
  match: { cn: "memory-layer" },
  roles: ["service"],
  keys: ["k1", "k2"],
  requireApiKey: true,
};

/** An in-memory store and audit sink, recording the order of operations. */
function fakeAdmin(options: { auditFails?: boolean } = {}) {
  const rows = new Map<string, ApiKeyRecord>();
  const log: string[] = [];
  const events: AuditInput[] = [];
  let lookups = 0;
  return {
    rows,
    log,
    events,
    lookups: () => lookups,
    deps: {
      actor: "cli:test",
      now: () => new Date("2025-06-01T00:00:00.000Z"),
      audit: async (event: AuditInput) => {
        if (options.auditFails) throw new Error("audit down");
        log.push(`audit:${event.op}`);
        events.push(event);
      },
      store: {
        async createApiKey(r: ApiKeyRecord) {
          log.push("create");
          rows.set(r.id, r);
        },
        async getApiKey(id: string) {
          lookups++;
          return rows.get(id) ?? null;
        },
        async listApiKeys() {
          return [...rows.values()];
        },
        async revokeApiKey(id: string, at: string) {
          log.push("revoke");
          const r = rows.get(id);
          if (!r) throw new Error("unknown");
          const next = { ...r, revokedAt: r.revokedAt ?? at };
          rows.set(id, next);
          return next;
        },
      },
    },
  };
}

describe("API key format and hashing", () => {
  test("a key is spk_<16 hex>_<43 base64url>, unique, and its hash is SHA-256 of the whole string", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.match(a.key, /^spk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(issuedKeyId(a.key), a.id);
    assert.equal(a.keyHash, createHash("sha256").update(a.key).digest("hex"));
    assert.equal(hashApiKey(a.key), a.keyHash);
  });

  test("only the exact key matches its hash; a malformed stored hash never matches", () => {
    const { key, keyHash } = generateApiKey();
    assert.ok(apiKeyHashMatches(key, keyHash));
    assert.ok(!apiKeyHashMatches(`${key}x`, keyHash));
    assert.ok(!apiKeyHashMatches(key.slice(0, -1), keyHash));
    assert.ok(!apiKeyHashMatches(key, "abc"));
  });

  test("anything but the issued format has no id (so the shared key is never looked up)", () => {
    for (const s of [
      "",
      "spk_",
      "spk_0123456789abcdef_short",
      "k_test_0123456789abcdef0123456789",
      "SPK_x",
    ]) {
      assert.equal(issuedKeyId(s), undefined, s);
    }
  });

  test("--expires-in accepts s/m/h/d up to 366 days and nothing else", () => {
    assert.equal(parseExpiresIn("90s"), 90_000);
    assert.equal(parseExpiresIn("1h"), 3_600_000);
    assert.equal(parseExpiresIn("366d"), 366 * 86_400_000);
    for (const bad of ["", "0h", "1", "1w", "-1h", "367d", "1.5h", " 1h", "1h "]) {
      assert.equal(parseExpiresIn(bad), undefined, bad);
    }
  });
});

describe("checking a presented key (per request)", () => {
  async function issued(over: Partial<ApiKeyRecord> = {}) {
    const admin = fakeAdmin();
    const { key, record } = await issueApiKey(admin.deps, [config], {
      name: "ci",
      principal: "memory-layer",
      permissions: ["sign:hash"],
      keys: ["k1"],
      expiresInMs: 3_600_000,
    });
    admin.rows.set(record.id, { ...record, ...over });
    return { admin, key };
  }
  const at = new Date("2025-06-01T00:30:00.000Z");

  test("the right key for its principal is accepted, and looked up in the store every time", async () => {
    const { admin, key } = await issued();
    for (let i = 0; i < 3; i++)
      assert.equal((await checkIssuedKey(admin.deps.store, key, "memory-layer", at)).ok, true);
    assert.equal(admin.lookups(), 3, "no cache: a revocation must be seen on the next request");
  });

  test("refusals: tampered, unknown, revoked, expired, another principal's", async () => {
    const { admin, key } = await issued();
    const reason = async (k: string, who = "memory-layer", now = at) => {
      const r = await checkIssuedKey(admin.deps.store, k, who, now);
      return r.ok ? "ok" : r.reason;
    };
    const tampered = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
    assert.equal(await reason(tampered), "mismatch");
    assert.equal(await reason(generateApiKey().key), "unknown");
    assert.equal(await reason("not-a-key"), "malformed");
    assert.equal(await reason(key, "auditor"), "other-principal");
    assert.equal(await reason(key, "memory-layer", new Date("2025-06-01T01:00:00.000Z")), "expired");
    const id = issuedKeyId(key)!;
    admin.rows.set(id, { ...admin.rows.get(id)!, revokedAt: "2025-06-01T00:10:00.000Z" });
    assert.equal(await reason(key), "revoked");
  });

  test("a key narrows its principal: permissions and kids are intersections, never unions", () => {
    const record = {
      permissions: ["sign:hash", "audit:read", "bogus"],
      keys: ["k2", "k-not-granted"],
    } as unknown as ApiKeyRecord;
    const narrowed = restrictPrincipal(principal, record);
    assert.deepEqual([...narrowed.permissions], ["sign:hash"]);
    assert.deepEqual([...narrowed.keys], ["k2"]);
    assert.equal(narrowed.id, principal.id);
  });
});

describe("issuing and revoking", () => {
  const request = {
    name: "ci",
    principal: "memory-layer",
    permissions: ["sign:hash"],
    keys: ["k1"],
    expiresInMs: 3_600_000,
  };

  test("issue: audited first, then stored as a hash; the key is in neither the event nor the record", async () => {
    const admin = fakeAdmin();
    const { key, record } = await issueApiKey(admin.deps, [config], request);
    assert.deepEqual(admin.log, ["audit:apikey.generate", "create"]);
    assert.equal(record.expiresAt, "2025-06-01T01:00:00.000Z");
    assert.equal(record.keyHash, hashApiKey(key));
    const event = admin.events[0]!;
    assert.equal(event.digestHex, scopeDigest(record));
    assert.equal(event.principal, "cli:test");
    assert.equal(event.requestId, `apikey:${record.id}`);
    const stored = JSON.stringify([...admin.rows.values(), ...admin.events]);
    assert.ok(!stored.includes(key.split("_")[2]!), "the secret part of the key was stored");
    assert.ok(!JSON.stringify(viewOf(record)).includes(record.keyHash), "the view shows the hash");
  });

  test("issue is refused when the audit event cannot be committed: no key exists", async () => {
    const admin = fakeAdmin({ auditFails: true });
    await assert.rejects(issueApiKey(admin.deps, [config], request), /audit down/);
    assert.equal(admin.rows.size, 0);
  });

  test("scope must be a subset of the principal's grants", async () => {
    const admin = fakeAdmin();
    const cases: Array<[Partial<typeof request>, RegExp]> = [
      [{ permissions: ["audit:read"] }, /does not hold permission "audit:read"/],
      [{ permissions: ["sign:everything"] }, /unknown permission/],
      [{ keys: ["k-foreign"] }, /may not use key "k-foreign"/],
      [{ keys: [] }, /needs --keys/],
      [{ permissions: [] }, /names no permission/],
      [{ principal: "nobody" }, /no principal "nobody"/],
      [{ name: "bad\nname" }, /--name/],
    ];
    for (const [over, message] of cases) {
      await assert.rejects(issueApiKey(admin.deps, [config], { ...request, ...over }), (err: unknown) => {
        assert.ok(err instanceof ApiKeyAdminError && err.kind === "usage");
        assert.match(err.message, message);
        return true;
      });
    }
    assert.equal(admin.rows.size, 0);
    assert.deepEqual(
      scopeProblems(
        { permissions: ["verify"], keys: [] },
        { permissions: principal.permissions, keys: principal.keys },
      ),
      [],
    );
  });

  test("revoke: stored first, then audited; a second revoke is a no-op; an unknown id is refused", async () => {
    const admin = fakeAdmin();
    const { record } = await issueApiKey(admin.deps, [config], request);
    const first = await revokeApiKey(admin.deps, record.id);
    assert.equal(first.already, false);
    assert.equal(first.record.revokedAt, "2025-06-01T00:00:00.000Z");
    const again = await revokeApiKey(admin.deps, record.id);
    assert.equal(again.already, true);
    assert.deepEqual(admin.log, ["audit:apikey.generate", "create", "revoke", "audit:apikey.revoke"]);
    await assert.rejects(revokeApiKey(admin.deps, "ffffffffffffffff"), (err: unknown) => {
      return err instanceof ApiKeyAdminError && err.kind === "state";
    });
  });
});
