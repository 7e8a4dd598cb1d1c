import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { SignerEntry, SignersDocument } from "./client-types.js";
import { fetchKeys, KeyCache } from "./key-cache.js";
import { parseJwks, parseKeyDocument, parseSignersDocument, verifiableKeys } from "./key-set.js";

const pem = (k: KeyObject): string => k.export({ type: "spki", format: "pem" }) as string;
const ed = generateKeyPairSync("ed25519");
const old = generateKeyPairSync("ed25519");
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });

function entry(kid: string, fields: Partial<SignerEntry> & Pick<SignerEntry, "algorithm">): SignerEntry {
  return {
    signer_kid: kid,
    deployedAt: "2025-01-01T00:00:00Z",
    description: "",
    status: "active",
    ...fields,
  };
}

const doc: SignersDocument = {
  signers: [
    entry("ed", { algorithm: "ed25519", public_key_pem: pem(ed.publicKey) }),
    entry("ec", { algorithm: "ecdsa-sha256", public_key_pem: pem(ec.publicKey), status: "retired" }),
    entry("old", { algorithm: "ed25519", public_key_pem: pem(old.publicKey), status: "revoked" }),
    entry("mac", { algorithm: "hmac-sha256" }),
  ],
};
const digestHex = "ab".repeat(32);
const sigBy = (k: KeyObject) => sign(null, Buffer.from(digestHex, "hex"), k).toString("base64");

describe("parsing published keys", () => {
  test("signers.json: every entry with its status; HMAC without a public key", () => {
    const keys = parseSignersDocument(doc);
    assert.deepEqual([...keys.keys()], ["ed", "ec", "old", "mac"]);
    assert.equal(keys.get("old")?.status, "revoked");
    assert.equal(keys.get("mac")?.publicKey, null);
    assert.deepEqual(parseSignersDocument(JSON.stringify(doc)), keys, "JSON text reads the same");
  });

  test("verifiableKeys drops revoked and HMAC keys; retired keys still verify", () => {
    assert.deepEqual([...verifiableKeys(parseSignersDocument(doc)).keys()], ["ed", "ec"]);
  });

  test("malformed documents are refused, naming the entry", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{}, /signers/],
      [{ signers: [entry("a", { algorithm: "ed25519" })] }, /signers\[0\]\.public_key_pem/],
      [
        { signers: [{ ...entry("a", { algorithm: "ed25519", public_key_pem: "x" }), status: "gone" }] },
        /status/,
      ],
      [{ signers: [entry("a", { algorithm: "es256" as "ed25519", public_key_pem: "x" })] }, /algorithm/],
      [{ signers: [doc.signers[0], doc.signers[0]] }, /appears twice/],
      ['{"signers":[],"signers":[]}', /duplicate/i],
    ];
    for (const [value, message] of bad) assert.throws(() => parseSignersDocument(value), message);
  });

  test("JWKS: alg maps to the proxy's algorithm; a JWK without a known alg is refused", () => {
    const jwk = { ...ed.publicKey.export({ format: "jwk" }), kid: "ed", alg: "EdDSA", use: "sig" };
    const keys = parseJwks({ keys: [jwk] });
    assert.equal(keys.get("ed")?.alg, "ed25519");
    assert.equal(keys.get("ed")?.status, "unknown");
    assert.throws(() => parseJwks({ keys: [{ ...jwk, alg: "HS256" }] }), /alg/);
    assert.throws(() => parseJwks({ keys: [{ ...jwk, alg: undefined }] }), /alg/);
    assert.equal(parseKeyDocument({ keys: [jwk] }).size, 1);
    assert.equal(parseKeyDocument(doc).size, 4);
  });
});

describe("KeyCache", () => {
  test("serves from memory within the TTL, refetches after it, shares one fetch", async () => {
    let now = 0;
    let fetches = 0;
    const cache = new KeyCache(
      async () => {
        fetches++;
        return doc;
      },
      { ttlMs: 1000, now: () => now },
    );
    await Promise.all([cache.get("ed"), cache.get("ed"), cache.all()]);
    assert.equal(fetches, 1, "concurrent callers share the first fetch");
    now = 999;
    await cache.get("ed");
    assert.equal(fetches, 1);
    now = 1000;
    await cache.get("ed");
    assert.equal(fetches, 2, "stale after the TTL");
  });

  test("verifies with the published key; revoked, unknown and wrong-key signatures are false", async () => {
    const cache = new KeyCache(async () => doc);
    assert.equal(await cache.verifyDigest({ kid: "ed", digestHex, signature: sigBy(ed.privateKey) }), true);
    assert.equal(await cache.verifyDigest({ kid: "ed", digestHex, signature: sigBy(old.privateKey) }), false);
    assert.equal(
      await cache.verifyDigest({ kid: "old", digestHex, signature: sigBy(old.privateKey) }),
      false,
    );
    assert.equal(
      await cache.verifyDigest({ kid: "nope", digestHex, signature: sigBy(ed.privateKey) }),
      false,
    );
    assert.equal(await cache.get("old"), undefined, "revoked keys are not served");
    assert.equal(await cache.get("mac"), undefined, "HMAC keys cannot verify offline");
  });

  test("an unknown kid refetches early, at most once per minRefreshIntervalMs", async () => {
    let now = 0;
    let fetches = 0;
    let current: SignersDocument = { signers: [] };
    const cache = new KeyCache(
      async () => {
        fetches++;
        return current;
      },
      { ttlMs: 60_000, minRefreshIntervalMs: 100, now: () => now },
    );
    assert.equal(await cache.get("ed"), undefined);
    assert.equal(await cache.get("ed"), undefined);
    assert.equal(fetches, 1, "junk kids do not flood the source");
    current = doc;
    now = 100;
    assert.equal((await cache.get("ed"))?.alg, "ed25519", "a newly published key is found");
    assert.equal(fetches, 2);
  });

  test("a failed fetch throws, and the next call tries again", async () => {
    let fail = true;
    const cache = new KeyCache(async () => {
      if (fail) throw new Error("down");
      return doc;
    });
    await assert.rejects(cache.get("ed"), /down/);
    fail = false;
    assert.ok(await cache.get("ed"));
  });

  test("fetchKeys reads a saved signers.json or JWKS file, and takes a client", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    try {
      const file = join(dir, "signers.json");
      writeFileSync(file, JSON.stringify(doc));
      assert.deepEqual([...(await fetchKeys(file)).keys()], ["ed", "ec"]);
      assert.deepEqual([...(await fetchKeys({ getKeys: async () => doc })).keys()], ["ed", "ec"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
