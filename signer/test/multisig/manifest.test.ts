import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { canonicalize } from "@signing-proxy/client-sdk";
import { SignerError } from "../../src/errors.js";
import { parseManifest } from "../../src/multisig/manifest.js";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const base = { type: "upgrade", target: "memory-layer", version: 7, expires: "2030-01-02T00:00:00Z" };

function refusedWith(raw: unknown, pattern: RegExp, code = "ERR_VALIDATION"): void {
  assert.throws(
    () => parseManifest(raw, NOW),
    (err: unknown) => err instanceof SignerError && err.code === code && pattern.test(err.message),
    pattern.source,
  );
}

test("digestHex is the SHA-256 of the RFC 8785 bytes of the whole manifest, extra fields included", () => {
  const raw = { ...base, notes: "ü €", artifacts: [{ digest: "sha256:00", size: 1e21 }] };
  const m = parseManifest(raw, NOW);
  assert.equal(m.canonical, canonicalize(raw));
  assert.equal(m.digestHex, createHash("sha256").update(canonicalize(raw), "utf8").digest("hex"));
  assert.equal(
    parseManifest({ artifacts: raw.artifacts, notes: raw.notes, ...base }, NOW).digestHex,
    m.digestHex,
  );
});

test("type, target and version are checked", () => {
  refusedWith([], /JSON object/);
  refusedWith({ ...base, type: "downgrade" }, /type must be one of/);
  refusedWith({ ...base, target: "" }, /target/);
  refusedWith({ ...base, target: "has space" }, /target/);
  for (const version of [0, -1, 1.5, "7", 2 ** 53])
    refusedWith({ ...base, version }, /version must be a positive integer/);
});

test("expires must be an RFC 3339 time in the future, at most 30 days ahead", () => {
  for (const expires of [
    "2030-01-02",
    "2030-01-02T00:00:00",
    "2030-02-30T00:00:00Z",
    "2030-01-02T24:00:00Z",
    1893542400000,
  ]) {
    refusedWith({ ...base, expires }, /RFC 3339/);
  }
  refusedWith({ ...base, expires: "2029-12-31T23:59:59Z" }, /in the future/);
  refusedWith({ ...base, expires: "2030-02-01T00:00:01Z" }, /at most 30 days/);
  assert.equal(
    parseManifest({ ...base, expires: "2030-01-01T02:00:00.5+01:00" }, NOW).expiresMs,
    NOW + 3600_000 + 500,
  );
});

test("rollbacks name an older version in rollbackTo; other types may not", () => {
  refusedWith({ ...base, type: "rollback" }, /needs rollbackTo/);
  refusedWith({ ...base, type: "rollback", rollbackTo: 7 }, /below version/);
  refusedWith({ ...base, rollbackTo: 3 }, /belongs to rollback/);
  assert.equal(parseManifest({ ...base, type: "rollback", rollbackTo: 5 }, NOW).rollbackTo, 5);
});

test("key manifests name kid; replaces only on promotions; never on upgrades", () => {
  refusedWith({ ...base, type: "key-promotion" }, /needs kid/);
  refusedWith(
    { ...base, type: "key-revocation", kid: "a", replaces: "b" },
    /replaces belongs to key-promotion/,
  );
  refusedWith({ ...base, kid: "a" }, /belong to key-promotion and key-revocation/);
  refusedWith({ ...base, type: "key-promotion", kid: "a", replaces: "a" }, /cannot replace itself/);
  refusedWith({ ...base, type: "key-promotion", kid: "bad kid" }, /kid must be a kid/);
  const m = parseManifest({ ...base, type: "key-promotion", kid: "new-v2", replaces: "old-v1" }, NOW);
  assert.deepEqual([m.kid, m.replaces], ["new-v2", "old-v1"]);
});

test("a manifest that cannot be canonicalized or is too large is refused", () => {
  refusedWith({ ...base, bad: "\ud800" }, /manifest/, "ERR_CANONICALIZATION");
  refusedWith({ ...base, blob: "x".repeat(70_000) }, /manifest/, "ERR_PAYLOAD_TOO_LARGE");
});
