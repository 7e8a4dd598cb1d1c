import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Role } from "../../signer/src/algorithms.js";
import { ROUTE_RULES } from "../../signer/src/auth/route-permissions.js";
import { EXPECTED_MATRIX, type KidCase, MATRIX_ROLES } from "../../signer/test/auth/authz-matrix.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call, type JsonResponse } from "../helpers/tls-client.js";

const OWN = "k-ed25519";
const FOREIGN = "k-other";
const digestHex = "cd".repeat(32);
/** Client certificate CN of each role's principal (every one is granted OWN, none FOREIGN). */
const CN: Readonly<Record<Role, string>> = {
  service: "svc",
  Auditor: "auditor",
  Operator: "operator",
  DivisionLead: "lead",
  SuperAdmin: "admin",
};

type Request = { method: "GET" | "POST"; path: string; body?: unknown };

describe("authorization matrix: every role × every route × own/foreign kid", () => {
  let fx: ServiceFixture;
  let target = 0;
  const denied: string[] = [];

  /** A fresh pending proposal (made by the admin), so each approval attempt has one to approve. */
  async function proposal(): Promise<string> {
    target++;
    const res = await call(fx.agent("admin"), `${fx.service.url}/multisig/proposals`, {
      body: {
        policy: "matrix",
        manifest: {
          type: "upgrade",
          target: `matrix-${target}`,
          version: 1,
          expires: new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    return (res.body as { id: string }).id;
  }

  async function requestFor(route: string, kid: KidCase): Promise<Request> {
    const k = kid === "foreign" ? FOREIGN : OWN;
    switch (route) {
      case "POST /sign/hash":
        return { method: "POST", path: "/sign/hash", body: { digestHex, kid: k } };
      case "POST /sign/canonical":
        return { method: "POST", path: "/sign/canonical", body: { payload: { n: 1 }, kid: k } };
      case "POST /sign/batch":
        return { method: "POST", path: "/sign/batch", body: { items: [{ digestHex, kid: k }] } };
      case "POST /verify":
        return { method: "POST", path: "/verify", body: { kid: k, signature: "AAAA", digestHex } };
      case "GET /keys/:kid":
        return { method: "GET", path: `/keys/${k}` };
      case "POST /multisig/proposals":
        return { method: "POST", path: "/multisig/proposals", body: { policy: "nope", manifest: {} } };
      case "GET /multisig/proposals/:id":
        return { method: "GET", path: `/multisig/proposals/${await proposal()}` };
      case "POST /multisig/proposals/:id/approvals":
        return {
          method: "POST",
          path: `/multisig/proposals/${await proposal()}/approvals`,
          body: { kid: k },
        };
      case "GET /multisig/proposals/:id/proof":
        return { method: "GET", path: `/multisig/proposals/${await proposal()}/proof` };
      case "GET /log/proof/inclusion":
        return { method: "GET", path: "/log/proof/inclusion?index=0&size=1" };
      case "GET /log/proof/consistency":
        return { method: "GET", path: "/log/proof/consistency?from=1&to=1" };
      case "GET /log/receipt/:index":
        return { method: "GET", path: "/log/receipt/0" };
      case "POST /multisig/verify":
        return { method: "POST", path: "/multisig/verify", body: { proof: {} } };
      default: {
        const [method, path] = route.split(" ") as ["GET", string];
        return { method, path };
      }
    }
  }

  /** Allowed: no 401/403 anywhere (a batch item's refusal counts too). */
  function verdict(res: JsonResponse): "allow" | "deny" {
    if (res.status === 403) return "deny";
    assert.notEqual(res.status, 401, res.text);
    const item = (res.body as { results?: Array<{ error?: { code: string } }> }).results?.[0];
    return item?.error?.code === "ERR_FORBIDDEN" ? "deny" : "allow";
  }

  before(async () => {
    fx = await startFixture({
      transparencyLog: true,
      clients: ["svc", "lead", "admin"],
      configPatch: {
        principals: MATRIX_ROLES.map((role) => ({
          id: `p-${role}`,
          match: { cn: CN[role] },
          roles: [role],
          keys: [OWN],
        })),
        multisig: { policies: [{ id: "matrix", threshold: 1, signers: [OWN, FOREIGN] }] },
      },
    });
  });
  after(async () => fx.close());

  test("the expected matrix covers every route the service has a rule for, and nothing else", () => {
    const routes = new Set(EXPECTED_MATRIX.map((r) => r.route));
    assert.deepEqual([...routes].sort(), Object.keys(ROUTE_RULES).sort());
  });

  for (const row of EXPECTED_MATRIX) {
    test(`${row.route} (${row.kid} kid): allowed for ${row.allow.join(", ") || "nobody"}`, async () => {
      for (const role of MATRIX_ROLES) {
        const req = await requestFor(row.route, row.kid);
        const requestId = `matrix-${row.route.replace(/[^a-z]/gi, "")}-${row.kid}-${role}`.slice(0, 64);
        const res = await call(fx.agent(CN[role]), `${fx.service.url}${req.path}`, {
          method: req.method,
          ...(req.body !== undefined ? { body: req.body } : {}),
          headers: { "x-request-id": requestId },
        });
        const expected = row.allow.includes(role) ? "allow" : "deny";
        assert.equal(
          verdict(res),
          expected,
          `${role} on ${row.route} (${row.kid}): ${res.status} ${res.text}`,
        );
        if (expected === "deny" && res.status === 403) {
          const error = (res.body as { error: { code: string } }).error;
          assert.equal(error.code, "ERR_FORBIDDEN");
          denied.push(requestId);
        }
        // Fully valid requests on non-multisig routes must succeed, not merely pass the guard.
        if (expected === "allow" && !row.route.includes("multisig")) assert.equal(res.status, 200, res.text);
      }
    });
  }

  test("every 403 of the matrix is an audit event refused:…ERR_FORBIDDEN", async () => {
    const events = await fx.service.deps.store.readAuditEvents(0, 100_000);
    const refused = new Set(
      // The multisig coordinator names its op in the result: refused:multisig.approve:ERR_FORBIDDEN.
      events.filter((e) => /^refused:(?:[a-z.]+:)?ERR_FORBIDDEN$/.test(e.result)).map((e) => e.requestId),
    );
    assert.ok(denied.length > 30, `the matrix produced ${denied.length} denials`);
    for (const id of denied) assert.ok(refused.has(id), `no audit event for denied request ${id}`);
  });
});
