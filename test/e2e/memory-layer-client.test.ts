// The SDK against the real proxy over mTLS: every route it wraps, its typed errors, and offline
// verification that agrees with openssl for every algorithm.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  digestHexOf,
  fetchKeys,
  KeyCache,
  SERVER_ERROR_CODES,
  SigningProxyClient,
  SigningProxyError,
  verifyDigest,
} from "@signing-proxy/client-sdk";
import { ERROR_STATUS } from "../../signer/src/errors.js";
import { opensslHmac, opensslVerify } from "../helpers/openssl.js";
import { FIXTURE_KIDS, type ServiceFixture, startFixture } from "../helpers/service-fixture.js";

test("the SDK knows exactly the server's error codes", () => {
  assert.deepEqual([...SERVER_ERROR_CODES].sort(), Object.keys(ERROR_STATUS).sort());
});

describe("SigningProxyClient against the proxy", { timeout: 30_000 }, () => {
  let fx: ServiceFixture;
  const clients: SigningProxyClient[] = [];
  const clientFor = (cn: string) => {
    const file = (ext: string) => readFileSync(join(fx.dir, "certs", `${cn}.${ext}`));
    const c = new SigningProxyClient({ url: fx.service.url, ca: fx.ca, cert: file("crt"), key: file("key") });
    clients.push(c);
    return c;
  };
  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fx.close();
  });

  test("every alg: offline verifyDigest (keys from KeyCache) and openssl agree, on good and tampered signatures", async () => {
    const client = clientFor("memory-layer");
    const cache = new KeyCache(client);
    const published = await client.getKeys();
    for (const kid of FIXTURE_KIDS) {
      const digest = randomBytes(32);
      const res = await client.signHash({ digestHex: digest.toString("hex"), kid });
      const signature = Buffer.from(res.signature, "base64");
      if (res.alg === "hmac-sha256") {
        // No public key: only the secret's holder can check it; openssl with the secret agrees.
        assert.deepEqual(signature, opensslHmac(fx.hmacSecret, digest));
        assert.equal(await cache.get(kid), undefined, "HMAC keys are not offered for offline checks");
        continue;
      }
      const pem = published.signers.find((s) => s.signer_kid === kid)?.public_key_pem;
      assert.ok(pem, kid);
      const tampered = Buffer.from(signature);
      tampered[tampered.length - 1]! ^= 1;
      for (const [sig, expected] of [
        [signature, true],
        [tampered, false],
      ] as const) {
        const offline = await cache.verifyDigest({ kid, digestHex: res.digestHex, signature: sig });
        const direct = verifyDigest({
          alg: res.alg,
          publicKey: pem,
          digestHex: res.digestHex,
          signature: sig,
        });
        assert.equal(offline, expected, `${kid} KeyCache`);
        assert.equal(direct, expected, `${kid} verifyDigest`);
        assert.equal(opensslVerify(res.alg, pem, digest, sig), expected, `${kid} openssl`);
      }
    }
  });

  test("signCanonical, signBatch (an item may fail alone), verify, signAuditDigest", async () => {
    const client = clientFor("memory-layer");
    const payload = { b: [1, 2.5, "x"], a: { "\u20ac": true }, n: 1e21 };
    const canonical = await client.signCanonical({ payload, kid: "k-ecdsa" });
    assert.equal(canonical.digestHex, digestHexOf(payload));
    const d1 = randomBytes(32).toString("hex");
    const results = await client.signBatch([{ digestHex: d1 }, { digestHex: d1, kid: "k-candidate" }]);
    assert.equal(results.length, 2);
    assert.ok("signature" in results[0]! && results[0].kid === "k-ed25519");
    assert.ok("error" in results[1]!, "a candidate key signs nothing");
    const audit = await client.signAuditDigest(d1);
    assert.equal(audit.kid, "k-ed25519", "the default key");
    assert.deepEqual(await client.verify({ kid: audit.kid, signature: audit.signature, digestHex: d1 }), {
      valid: true,
      kid: "k-ed25519",
      alg: "ed25519",
    });
    const other = await client.verify({ kid: audit.kid, signature: audit.signature, payload: { x: 1 } });
    assert.equal(other.valid, false);
  });

  test("keys: /keys, /keys/:kid, JWKS; fetchKeys from the public management port", async () => {
    const client = clientFor("memory-layer");
    const keys = await client.getKeys();
    assert.ok(keys.signers.some((s) => s.signer_kid === "k-rsa" && s.algorithm === "rsa-sha256"));
    assert.equal((await client.getKey("k-ecdsa")).algorithm, "ecdsa-sha256");
    const jwks = await client.getJwks();
    assert.ok(jwks.keys.some((k) => k.kid === "k-ed25519" && k.alg === "EdDSA"));
    const fromKeys = await fetchKeys(`${fx.service.managementUrl}/keys`);
    const fromJwks = await fetchKeys(`${fx.service.managementUrl}/.well-known/jwks.json`);
    assert.deepEqual(
      [...fromKeys.keys()].sort(),
      [...fromJwks.keys()].sort(),
      "both documents give the same kids",
    );
    assert.ok(fromKeys.has("k-ed25519") && !fromKeys.has("k-hmac"));
  });

  test("a revoked key drops out of the key cache, so its signatures stop verifying offline", async () => {
    const client = clientFor("memory-layer");
    const res = await client.signHash({ digestHex: randomBytes(32).toString("hex"), kid: "k-ecdsa" });
    const cache = new KeyCache(client, { ttlMs: 0 });
    const check = { kid: "k-ecdsa", digestHex: res.digestHex, signature: res.signature };
    assert.equal(await cache.verifyDigest(check), true);
    await fx.service.deps.registry.setStatus("k-ecdsa", "revoked");
    try {
      assert.equal(await cache.verifyDigest(check), false);
      assert.equal((await fetchKeys(client)).has("k-ecdsa"), false);
    } finally {
      await fx.service.deps.registry.setStatus("k-ecdsa", "active");
    }
  });

  test("server refusals arrive as SigningProxyError with code, status and the x-request-id", async () => {
    const client = clientFor("memory-layer");
    const err = await client
      .signHash({ digestHex: "00".repeat(32), kid: "k-other" })
      .catch((e: unknown) => e);
    assert.ok(err instanceof SigningProxyError);
    assert.equal(err.code, "ERR_FORBIDDEN");
    assert.equal(err.status, 403);
    assert.match(err.requestId ?? "", /\S/);
    assert.equal(err.attempts, 1, "a 403 is not retried");
    await assert.rejects(client.auditHead(), { code: "ERR_FORBIDDEN", status: 403 });
    await assert.rejects(client.getKey("no-such-kid"), { code: "ERR_UNKNOWN_KID", status: 404 });
  });

  test("audit routes for an auditor: head, pages, and the full iteration agree", async () => {
    const auditor = clientFor("auditor");
    const head = await auditor.auditHead();
    assert.ok(head.seq >= 0);
    const page = await auditor.auditEvents({ fromSeq: 0, limit: 2 });
    assert.equal(page.events[0]?.seq, 0);
    assert.equal(page.nextSeq, 2);
    let n = 0;
    for await (const e of auditor.iterateAuditEvents(0, 3)) assert.equal(e.seq, n++);
    assert.ok(n >= head.seq + 1);
  });

  test("keep-alive: 50 sequential calls reuse pooled TLS connections", async () => {
    const client = clientFor("memory-layer");
    let handshakes = 0;
    const count = () => {
      handshakes++;
    };
    fx.service.main.server.on("secureConnection", count);
    try {
      for (let i = 0; i < 50; i++) await client.getKeys();
    } finally {
      fx.service.main.server.off("secureConnection", count);
    }
    // undici may open a second connection while the first is still finishing its first answer.
    assert.ok(handshakes >= 1 && handshakes <= 2, `${handshakes} TLS handshakes for 50 calls`);
  });
});
