import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { canonicalize } from "@signing-proxy/client-sdk";
import { opensslHmac, opensslVerify } from "../helpers/openssl.js";
import { FIXTURE_KIDS, type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

type Json = Record<string, unknown>;
const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe("signing routes", () => {
  let fx: ServiceFixture;
  let pems: Map<string, string>;
  before(async () => {
    fx = await startFixture();
    const keys = await call(fx.agent("memory-layer"), `${fx.service.url}/keys`);
    pems = new Map(
      (keys.body as { signers: Json[] }).signers
        .filter((s) => typeof s.public_key_pem === "string")
        .map((s) => [s.signer_kid as string, s.public_key_pem as string]),
    );
  });
  after(async () => fx.close());

  for (const kid of FIXTURE_KIDS) {
    test(`/sign/hash with ${kid}: the signature verifies with openssl and with /verify`, async () => {
      const agent = fx.agent("memory-layer");
      const digest = randomBytes(32);
      const res = await call(agent, `${fx.service.url}/sign/hash`, {
        body: { digestHex: digest.toString("hex"), kid },
      });
      assert.equal(res.status, 200, res.text);
      const body = res.body as Json;
      assert.equal(body.kid, kid);
      assert.equal(body.digestHex, digest.toString("hex"));
      assert.equal(typeof body.auditSeq, "number");
      assert.ok(!Number.isNaN(Date.parse(body.signedAt as string)));
      const signature = Buffer.from(body.signature as string, "base64");
      if (body.alg === "hmac-sha256") {
        assert.deepEqual(signature, opensslHmac(fx.hmacSecret, digest));
        assert.equal(pems.has(kid), false, "HMAC keys are listed without public_key_pem");
      } else {
        assert.ok(opensslVerify(body.alg as string, pems.get(kid)!, digest, signature), "openssl verifies");
        const flipped = Buffer.from(signature);
        flipped[flipped.length - 1]! ^= 1;
        assert.equal(opensslVerify(body.alg as string, pems.get(kid)!, digest, flipped), false);
      }
      const ok = await call(agent, `${fx.service.url}/verify`, {
        body: { kid, signature: body.signature, digestHex: body.digestHex },
      });
      assert.deepEqual(ok.body, { valid: true, kid, alg: body.alg });
      const other = randomBytes(32).toString("hex");
      const bad = await call(agent, `${fx.service.url}/verify`, {
        body: { kid, signature: body.signature, digestHex: other },
      });
      assert.equal(bad.status, 200);
      assert.equal((bad.body as Json).valid, false);
    });
  }

  test("no kid signs with defaultKid; auditSeq increases", async () => {
    const agent = fx.agent("memory-layer");
    const a = (await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex: "00".repeat(32) } }))
      .body as Json;
    const b = (await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex: "00".repeat(32) } }))
      .body as Json;
    assert.equal(a.kid, "k-ed25519");
    assert.ok((b.auditSeq as number) > (a.auditSeq as number));
    assert.equal(a.signature, b.signature, "Ed25519 is deterministic");
  });

  test("/sign/canonical signs the SHA-256 of the RFC 8785 bytes", async () => {
    const payload = { b: [1, 2.5, "x"], a: { "\u20ac": true, "1": null }, n: 1e21 };
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/canonical`, {
      body: { payload },
    });
    assert.equal(res.status, 200, res.text);
    const expected = createHash("sha256").update(canonicalize(payload)).digest("hex");
    assert.equal((res.body as Json).digestHex, expected);
    const sig = Buffer.from((res.body as Json).signature as string, "base64");
    assert.ok(opensslVerify("ed25519", pems.get("k-ed25519")!, Buffer.from(expected, "hex"), sig));
    const viaPayload = await call(fx.agent("memory-layer"), `${fx.service.url}/verify`, {
      body: { kid: "k-ed25519", signature: (res.body as Json).signature, payload },
    });
    assert.equal((viaPayload.body as Json).valid, true);
  });

  test("/sign/canonical refuses duplicate keys, lone surrogates and too-deep payloads", async () => {
    const agent = fx.agent("memory-layer");
    const dup = await call(agent, `${fx.service.url}/sign/canonical`, {
      rawBody: '{"payload":{"a":1,"a":2}}',
    });
    assert.equal(dup.status, 400);
    const lone = await call(agent, `${fx.service.url}/sign/canonical`, {
      rawBody: '{"payload":{"a":"\\ud800"}}',
    });
    assert.equal(lone.status, 400);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    const tooDeep = await call(agent, `${fx.service.url}/sign/canonical`, { body: { payload: deep } });
    assert.equal(tooDeep.status, 400);
    for (const r of [dup, lone, tooDeep])
      assert.match(errorCode(r.body), /^ERR_(VALIDATION|CANONICALIZATION)$/);
  });

  test("/sign/batch signs items in order and reports per-item refusals", async () => {
    const items = [
      { digestHex: "11".repeat(32) },
      { digestHex: "22".repeat(32), kid: "k-other" },
      { digestHex: "33".repeat(32), kid: "k-rsa" },
      { digestHex: "44".repeat(32), kid: "k-candidate" },
    ];
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/batch`, { body: { items } });
    assert.equal(res.status, 200, res.text);
    const results = (res.body as { results: Json[] }).results;
    assert.equal(results.length, 4);
    assert.equal(results[0]!.digestHex, "11".repeat(32));
    assert.equal(errorCode(results[1]), "ERR_FORBIDDEN");
    assert.equal(results[2]!.kid, "k-rsa");
    assert.equal(errorCode(results[3]), "ERR_KEY_NOT_ACTIVE");
    const seqs = [results[0]!.auditSeq as number, results[2]!.auditSeq as number];
    assert.ok(seqs[1]! > seqs[0]!);
  });

  test("refusals: forbidden kid 403, unknown kid 404, candidate 409, bad digest 400, wrong role 403", async () => {
    const agent = fx.agent("memory-layer");
    const url = `${fx.service.url}/sign/hash`;
    const cases: Array<[Json, number, string]> = [
      [{ digestHex: "aa".repeat(32), kid: "k-other" }, 403, "ERR_FORBIDDEN"],
      [{ digestHex: "aa".repeat(32), kid: "nope" }, 403, "ERR_FORBIDDEN"],
      [{ digestHex: "aa".repeat(32), kid: "k-candidate" }, 409, "ERR_KEY_NOT_ACTIVE"],
      [{ digestHex: "aa".repeat(31) }, 400, "ERR_VALIDATION"],
      [{ digestHex: "zz".repeat(32) }, 400, "ERR_VALIDATION"],
      [{ digestHex: "aa".repeat(32), extra: 1 }, 400, "ERR_VALIDATION"],
      [{ digestHex: 42 }, 400, "ERR_VALIDATION"],
    ];
    for (const [body, status, code] of cases) {
      const res = await call(agent, url, { body });
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(errorCode(res.body), code);
      assert.equal(
        (res.body as { error: { requestId: string } }).error.requestId,
        res.headers["x-request-id"],
      );
      assert.doesNotMatch(res.text, /at .*\.ts:\d+/, "no stack trace");
    }
    const admin = await call(fx.agent("dev-client"), url, {
      body: { digestHex: "aa".repeat(32), kid: "nope" },
    });
    assert.equal(admin.status, 403, "a kid not granted is forbidden even if unknown");
    const auditor = await call(fx.agent("auditor"), url, { body: { digestHex: "aa".repeat(32) } });
    assert.equal(auditor.status, 403);
    const unknownVerify = await call(agent, `${fx.service.url}/verify`, {
      body: { kid: "nope", signature: "AA==", digestHex: "aa".repeat(32) },
    });
    assert.equal(unknownVerify.status, 404);
    assert.equal(errorCode(unknownVerify.body), "ERR_UNKNOWN_KID");
  });

  test("malformed JSON, wrong content type and oversized bodies get the error envelope", async () => {
    const agent = fx.agent("memory-layer");
    const url = `${fx.service.url}/sign/hash`;
    const truncated = await call(agent, url, { rawBody: '{"digestHex": "ab' });
    assert.equal(truncated.status, 400);
    const dupField = await call(agent, url, {
      rawBody: `{"digestHex":"${"ab".repeat(32)}","digestHex":"${"cd".repeat(32)}"}`,
    });
    assert.equal(dupField.status, 400, "duplicate keys are ambiguous everywhere");
    const text = await call(agent, url, {
      rawBody: "digestHex=ab",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(text.status, 415);
    const huge = await call(agent, url, {
      rawBody: JSON.stringify({ digestHex: "ab".repeat(32), context: { x: "y".repeat(2_000_000) } }),
    });
    assert.equal(huge.status, 413);
    for (const r of [truncated, dupField, text, huge]) assert.ok(errorCode(r.body).startsWith("ERR_"));
  });

  test("/openapi.json documents the routes", async () => {
    const res = await call(fx.agent("auditor"), `${fx.service.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = res.body as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, "3.1.0");
    for (const p of [
      "/sign/hash",
      "/sign/canonical",
      "/sign/batch",
      "/verify",
      "/keys",
      "/keys/{kid}",
      "/.well-known/jwks.json",
    ]) {
      assert.ok(doc.paths[p], `${p} documented`);
    }
  });
});
