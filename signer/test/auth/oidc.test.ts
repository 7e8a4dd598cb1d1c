import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { startTestProvider, type TestProvider } from "../../../test/helpers/oidc-provider.js";
import { claimAt, mapRoles, OidcError, OidcVerifier } from "../../src/auth/oidc.js";
import { OidcSchema, toOidcConfig } from "../../src/config/oidc-schema.js";
import type { OidcConfig } from "../../src/config/types.js";

const AUDIENCE = "signing-proxy";

function configFor(idp: TestProvider, over: Record<string, unknown> = {}): OidcConfig {
  return toOidcConfig(
    OidcSchema.parse({
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: idp.jwksUri,
      roleClaim: "realm_access.roles",
      roleMap: { "signing-operators": "Operator", "signing-leads": "DivisionLead" },
      jwksCooldownMs: 0,
      ...over,
    }),
  );
}

async function refusal(verifier: OidcVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return "accepted";
  } catch (err) {
    assert.ok(err instanceof OidcError, String(err));
    return `${err.kind}:${err.detail}`;
  }
}

describe("OIDC bearer tokens (jose, local JWKS on 127.0.0.1)", () => {
  let idp: TestProvider;
  let verifier: OidcVerifier;
  before(async () => {
    idp = await startTestProvider(AUDIENCE);
    verifier = new OidcVerifier(configFor(idp));
  });
  after(async () => idp.close());

  test("a valid token yields its subject and the mapped roles (unmapped values grant nothing)", async () => {
    const token = await idp.token({ realm_access: { roles: ["signing-operators", "wiki-admins"] } });
    assert.deepEqual(await verifier.verify(token), { subject: "alice", roles: ["Operator"] });
  });

  test("the JWKS is cached: many verifications, one fetch", async () => {
    const before = idp.fetches();
    const token = await idp.token({ realm_access: { roles: ["signing-leads"] } });
    for (let i = 0; i < 5; i++) await verifier.verify(token);
    assert.ok(idp.fetches() - before <= 1, `fetched ${idp.fetches() - before} times`);
  });

  test("refused: wrong issuer, wrong audience, expired, too old, missing claims", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ iss: "https://evil.example/" }, /^invalid:ERR_JWT_CLAIM_VALIDATION_FAILED/],
      [{ aud: "another-service" }, /^invalid:ERR_JWT_CLAIM_VALIDATION_FAILED/],
      [{ exp: now - 120 }, /^invalid:ERR_JWT_EXPIRED/],
      [{ iat: now - 7200, exp: now + 60 }, /^invalid:ERR_JWT_EXPIRED/],
      [{ sub: undefined }, /^invalid:ERR_JWT_CLAIM_VALIDATION_FAILED/],
      [{ exp: undefined }, /^invalid:ERR_JWT_CLAIM_VALIDATION_FAILED/],
      [{ sub: "has space" }, /^invalid:claim sub/],
    ];
    for (const [claims, expected] of cases) {
      assert.match(await refusal(verifier, await idp.token(claims)), expected, JSON.stringify(claims));
    }
  });

  test("refused: alg none, an HMAC token, a token signed by an unknown key, a tampered payload, junk", async () => {
    const none = new UnsecuredJWT({ sub: "alice", aud: AUDIENCE, iss: idp.issuer })
      .setIssuedAt()
      .setExpirationTime("5m")
      .encode();
    assert.match(await refusal(verifier, none), /^invalid:/);
    const hmac = await new SignJWT({ sub: "alice", aud: AUDIENCE, iss: idp.issuer })
      .setProtectedHeader({ alg: "HS256", kid: "idp-key-1" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new Uint8Array(32));
    assert.match(await refusal(verifier, hmac), /^invalid:ERR_JOSE_ALG_NOT_ALLOWED/);
    const stranger = (await generateKeyPair("ES256")).privateKey;
    assert.match(
      await refusal(verifier, await idp.token({}, { key: stranger })),
      /^invalid:ERR_JWS_SIGNATURE/,
    );
    const [h, , s] = (await idp.token()).split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "root", aud: AUDIENCE, iss: idp.issuer })).toString(
      "base64url",
    );
    assert.match(await refusal(verifier, `${h}.${forged}.${s}`), /^invalid:/);
    assert.match(await refusal(verifier, "not.a.jwt!"), /^invalid:not a compact JWS/);
    assert.match(await refusal(verifier, `${"a".repeat(9000)}.b.c`), /^invalid:not a compact JWS/);
  });

  test("key rotation at the provider: a token with a new kid triggers one refetch and verifies", async () => {
    const kid = await idp.rotate();
    const before = idp.fetches();
    const token = await idp.token({ realm_access: { roles: "signing-operators" } }, { kid });
    assert.deepEqual((await verifier.verify(token)).roles, ["Operator"]);
    assert.equal(idp.fetches() - before, 1);
  });

  test("an unreachable JWKS is 'unavailable' (503), not an invalid token", async () => {
    const fresh = new OidcVerifier(configFor(idp));
    idp.fail(true);
    try {
      assert.match(await refusal(fresh, await idp.token()), /^unavailable:/);
    } finally {
      idp.fail(false);
    }
    assert.deepEqual((await fresh.verify(await idp.token())).subject, "alice");
  });

  test("claim paths only follow own properties; role values must be strings", () => {
    assert.equal(claimAt({ a: { b: ["x"] } }, "a.b.0"), undefined);
    assert.deepEqual(claimAt({ a: { b: ["x"] } }, "a.b"), ["x"]);
    assert.equal(claimAt({}, "__proto__.polluted"), undefined);
    assert.equal(claimAt({ a: 1 }, "constructor"), undefined);
    const map = { ops: "Operator" } as const;
    assert.deepEqual(mapRoles(["ops", 7, null, "ops"], map), ["Operator"]);
    assert.deepEqual(mapRoles("toString", map), []);
    assert.deepEqual(mapRoles({ ops: true }, map), []);
  });

  test("config: the JWKS must be https (plain http only on loopback); HS* algorithms are not accepted", () => {
    const base = { issuer: "x", audience: "a", roleMap: {} };
    assert.ok(OidcSchema.safeParse({ ...base, jwksUri: "https://idp.example/jwks" }).success);
    assert.ok(OidcSchema.safeParse({ ...base, jwksUri: "http://127.0.0.1:8080/jwks" }).success);
    assert.ok(!OidcSchema.safeParse({ ...base, jwksUri: "http://idp.example/jwks" }).success);
    assert.ok(!OidcSchema.safeParse({ ...base, jwksUri: "file:///etc/jwks" }).success);
    assert.ok(!OidcSchema.safeParse({ ...base, jwksUri: "https://x/j", algorithms: ["HS256"] }).success);
    assert.ok(!OidcSchema.safeParse({ ...base, jwksUri: "https://x/j", algorithms: ["none"] }).success);
  });
});
