import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type { Role } from "../../src/algorithms.js";
import { permissionsOf } from "../../src/auth/permissions.js";
import { ROUTE_RULES, routeRule } from "../../src/auth/route-permissions.js";
import { installAuthorization } from "../../src/http/authorize.js";
import { installErrorHandling } from "../../src/http/error-handler.js";

/** A bare app whose caller's role comes from a test header (authentication is tested elsewhere). */
async function app(denials: string[]): Promise<FastifyInstance> {
  const a = Fastify();
  installErrorHandling(a);
  a.decorateRequest("principal", null);
  a.addHook("onRequest", async (request) => {
    const role = request.headers["x-role"] as Role;
    request.principal = {
      id: `p-${role}`,
      roles: [role],
      permissions: permissionsOf([role]),
      keys: new Set(),
      requireApiKey: false,
    };
  });
  installAuthorization(a, {
    onDenied: async (_request, principal, rule) => {
      denials.push(`${principal.id}:${rule.op}`);
    },
  });
  a.post(
    "/sign/hash",
    {
      schema: {
        body: { type: "object", required: ["digestHex"], properties: { digestHex: { type: "string" } } },
      },
    },
    async () => ({ ok: true }),
  );
  return a;
}

describe("route authorization (ROUTE_RULES)", () => {
  test("a denied principal gets 403 before its body is parsed or validated, and the denial is reported", async () => {
    const denials: string[] = [];
    const a = await app(denials);
    const res = await a.inject({
      method: "POST",
      url: "/sign/hash",
      headers: { "x-role": "Auditor", "content-type": "application/json" },
      payload: "{ this is not json",
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, "ERR_FORBIDDEN");
    assert.deepEqual(denials, ["p-Auditor:sign.hash"]);
    const allowed = await a.inject({
      method: "POST",
      url: "/sign/hash",
      headers: { "x-role": "service", "content-type": "application/json" },
      payload: "{ this is not json",
    });
    assert.equal(allowed.statusCode, 400, "an allowed principal reaches parsing");
    await a.close();
  });

  test("registering a main-port route without a rule fails at start-up (nothing reachable by omission)", async () => {
    const a = await app([]);
    assert.throws(() => a.get("/debug/dump", async () => ({})), /no entry in ROUTE_RULES/);
    await a.close();
  });

  test("an unmatched URL is a 404, not a 403 (nothing to authorize)", async () => {
    const a = await app([]);
    const res = await a.inject({ method: "GET", url: "/nope", headers: { "x-role": "Auditor" } });
    assert.equal(res.statusCode, 404);
    await a.close();
  });

  test("HEAD follows GET, and every rule names an op and known permissions", () => {
    assert.equal(routeRule("HEAD", "/keys"), ROUTE_RULES["GET /keys"]);
    assert.equal(routeRule("DELETE", "/keys"), undefined);
    for (const [route, rule] of Object.entries(ROUTE_RULES)) {
      assert.match(route, /^(GET|POST) \//);
      assert.match(rule.op, /^[a-z]+(?:\.[a-z]+)?$/);
    }
  });
});
