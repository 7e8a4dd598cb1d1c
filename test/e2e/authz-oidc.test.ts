import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestProvider, type TestProvider } from "../helpers/oidc-provider.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

const AUDIENCE = "signing-proxy";

describe("OIDC bearer tokens for human operators, on top of mTLS", () => {
  let idp: TestProvider;
  let fx: ServiceFixture;
  const get = (path: string, token?: string, cn = "operator") =>
    call(fx.agent(cn), `${fx.service.url}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const code = (res: { body: unknown }) => (res.body as { error?: { code: string } }).error?.code;

  before(async () => {
    idp = await startTestProvider(AUDIENCE);
    fx = await startFixture({
      configPatch: {
        oidc: {
          issuer: idp.issuer,
          audience: AUDIENCE,
          jwksUri: idp.jwksUri,
          roleClaim: "groups",
          roleMap: { "signing-operators": "Operator", "signing-leads": "DivisionLead", root: "SuperAdmin" },
        },
        principals: [
          { id: "memory-layer", match: { cn: "memory-layer" }, roles: ["service"], keys: ["k-ed25519"] },
          // The operators' workstation certificate: its roles cap what any token can grant.
          { id: "ops", match: { cn: "operator" }, roles: ["Operator", "DivisionLead"], keys: [], oidc: true },
        ],
      },
    });
  });
  after(async () => {
    await fx.close();
    await idp.close();
  });

  test("the certificate alone is not enough for an OIDC principal (401)", async () => {
    const res = await get("/keys");
    assert.equal(res.status, 401);
    assert.equal(code(res), "ERR_UNAUTHENTICATED");
  });

  test("roles come from the token: an operator reads keys but not the audit log; a lead reads both", async () => {
    const operator = await idp.token({ groups: ["signing-operators"] });
    assert.equal((await get("/keys", operator)).status, 200);
    assert.equal((await get("/audit/head", operator)).status, 403);
    const lead = await idp.token({ sub: "bob", groups: ["signing-leads"] });
    assert.equal((await get("/audit/head", lead)).status, 200);
  });

  test("a token cannot grant more than the certificate allows (SuperAdmin claim → 403)", async () => {
    const root = await idp.token({ groups: ["root"] });
    const res = await get("/keys", root);
    assert.equal(res.status, 403);
    assert.equal(code(res), "ERR_FORBIDDEN");
  });

  test("invalid tokens are 401: expired, wrong audience, wrong issuer, garbage, signed by someone else", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await idp.token({ groups: ["signing-operators"], exp: now - 600 }),
      await idp.token({ groups: ["signing-operators"], aud: "other" }),
      await idp.token({ groups: ["signing-operators"], iss: "https://evil.example/" }),
      "eyJhbGciOiJub25lIn0.e30.",
      "not-a-token",
    ];
    for (const token of bad) assert.equal((await get("/keys", token)).status, 401, token);
  });

  test("the operator is named in the audit log as <principal>/<subject>", async () => {
    const token = await idp.token({ sub: "carol", groups: ["signing-operators"] });
    const res = await call(fx.agent("operator"), `${fx.service.url}/verify`, {
      body: { kid: "k-ed25519", signature: "AAAA", digestHex: "ab".repeat(32) },
      headers: { authorization: `Bearer ${token}`, "x-request-id": "oidc-audit-1" },
    });
    assert.equal(res.status, 200, res.text);
    const events = await fx.service.deps.store.readAuditEvents(0, 10_000);
    assert.equal(events.find((e) => e.requestId === "oidc-audit-1")?.principal, "ops/carol");
  });

  test("principals without `oidc` are unaffected: tokens are neither needed nor accepted as a role source", async () => {
    const root = await idp.token({ groups: ["root"] });
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/audit/head`, {
      headers: { authorization: `Bearer ${root}` },
    });
    assert.equal(res.status, 403, "a service certificate cannot be upgraded by a token");
  });
});
