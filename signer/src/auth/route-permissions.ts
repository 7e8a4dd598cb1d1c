import type { Permission } from "./permissions.js";

/** What a main-port route requires before its body is even parsed. */
export interface RouteRule {
  /** The caller needs at least one of these; empty means any authenticated principal. */
  readonly anyOf: readonly Permission[];
  /** The audit `op` of a refusal on this route. */
  readonly op: string;
  /** Where the route names a kid whose ownership the handler checks (`own`/`foreign` in the matrix). */
  readonly kid?: "body" | "items" | "none";
}

const rule = (op: string, anyOf: readonly Permission[], kid?: RouteRule["kid"]): RouteRule =>
  Object.freeze({ op, anyOf: Object.freeze([...anyOf]), ...(kid ? { kid } : {}) });

// Reading a proposal or its proof: its proposers and approvers, and auditors (as the multisig coordinator allows).
const MULTISIG_READ: readonly Permission[] = ["multisig:propose", "multisig:approve", "audit:read"];

/**
 * Every main-port route and the permission it needs: the first half of the authorization matrix in
 * docs/security.md (the second half, kid ownership, is checked where the kid is known). A route
 * missing here is refused at start-up (see http/authorize.ts), so nothing is reachable by omission.
 */
export const ROUTE_RULES: Readonly<Record<string, RouteRule>> = Object.freeze({
  "POST /sign/hash": rule("sign.hash", ["sign:hash"], "body"),
  "POST /sign/canonical": rule("sign.canonical", ["sign:canonical"], "body"),
  "POST /sign/batch": rule("sign.batch", ["sign:hash"], "items"),
  "POST /verify": rule("verify", ["verify"]),
  "GET /keys": rule("keys.read", ["keys:read"]),
  "GET /keys/:kid": rule("keys.read", ["keys:read"]),
  "GET /.well-known/jwks.json": rule("keys.read", ["keys:read"]),
  "GET /audit/head": rule("audit.read", ["audit:read"]),
  "GET /audit/events": rule("audit.read", ["audit:read"]),
  "GET /openapi.json": rule("openapi.read", []),
  // DESIGN.md A5: proposing and approving are Operator and above; checking a proof is like /verify.
  "POST /multisig/proposals": rule("multisig.propose", ["multisig:propose"]),
  "GET /multisig/proposals/:id": rule("multisig.read", MULTISIG_READ),
  "POST /multisig/proposals/:id/approvals": rule("multisig.approve", ["multisig:approve"], "body"),
  "GET /multisig/proposals/:id/proof": rule("multisig.proof", MULTISIG_READ),
  "POST /multisig/verify": rule("multisig.verify", ["verify"]),
  // Transparency log: checkpoints, the log key and proofs hold only hashes, so any principal may read
  // them; a receipt carries a whole audit event (principal, digest), so it is for auditors.
  "GET /log/checkpoint": rule("log.read", ["keys:read"]),
  "GET /log/key": rule("log.read", ["keys:read"]),
  "GET /log/proof/inclusion": rule("log.read", ["keys:read"]),
  "GET /log/proof/consistency": rule("log.read", ["keys:read"]),
  "GET /log/receipt/:index": rule("log.receipt", ["audit:read"]),
});

/** The rule for `method` and the route pattern `url`; HEAD follows GET. Undefined when unlisted. */
export function routeRule(method: string, url: string): RouteRule | undefined {
  const m = method === "HEAD" ? "GET" : method;
  return ROUTE_RULES[`${m} ${url}`];
}
