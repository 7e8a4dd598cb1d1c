import type { Role } from "../../src/algorithms.js";

/** Roles in the column order of the matrix. */
export const MATRIX_ROLES: readonly Role[] = ["service", "Auditor", "Operator", "DivisionLead", "SuperAdmin"];

/** `own`: a kid granted to the caller; `foreign`: a registered kid that is not; `-`: no kid involved. */
export type KidCase = "own" | "foreign" | "-";

/** One row of the expected authorization matrix: who is allowed; everyone else gets 403. */
export interface MatrixRow {
  readonly route: string;
  readonly kid: KidCase;
  readonly allow: readonly Role[];
}

const ALL = MATRIX_ROLES;
const SIGNERS: readonly Role[] = ["service", "SuperAdmin"];
const AUDIT_READERS: readonly Role[] = ["Auditor", "DivisionLead", "SuperAdmin"];
const MULTISIG: readonly Role[] = ["Operator", "DivisionLead", "SuperAdmin"];
const MULTISIG_READERS: readonly Role[] = ["Auditor", "Operator", "DivisionLead", "SuperAdmin"];

/**
 * The expected allow/deny table, written by hand from DESIGN.md A3/A5 and issue 7, independently of
 * ROUTE_RULES and ROLE_PERMISSIONS: test/e2e/authz-matrix.test.ts checks the running service against
 * it, and signer/test/auth/security-doc.test.ts checks docs/security.md prints exactly it.
 */
export const EXPECTED_MATRIX: readonly MatrixRow[] = Object.freeze([
  { route: "POST /sign/hash", kid: "own", allow: SIGNERS },
  { route: "POST /sign/hash", kid: "foreign", allow: [] },
  { route: "POST /sign/canonical", kid: "own", allow: SIGNERS },
  { route: "POST /sign/canonical", kid: "foreign", allow: [] },
  { route: "POST /sign/batch", kid: "own", allow: SIGNERS },
  { route: "POST /sign/batch", kid: "foreign", allow: [] },
  { route: "POST /verify", kid: "own", allow: ALL },
  { route: "POST /verify", kid: "foreign", allow: ALL },
  { route: "GET /keys", kid: "-", allow: ALL },
  { route: "GET /keys/:kid", kid: "own", allow: ALL },
  { route: "GET /keys/:kid", kid: "foreign", allow: ALL },
  { route: "GET /.well-known/jwks.json", kid: "-", allow: ALL },
  { route: "GET /audit/head", kid: "-", allow: AUDIT_READERS },
  { route: "GET /audit/events", kid: "-", allow: AUDIT_READERS },
  { route: "GET /openapi.json", kid: "-", allow: ALL },
  { route: "POST /multisig/proposals", kid: "-", allow: MULTISIG },
  { route: "GET /multisig/proposals/:id", kid: "-", allow: MULTISIG_READERS },
  { route: "POST /multisig/proposals/:id/approvals", kid: "own", allow: MULTISIG },
  { route: "POST /multisig/proposals/:id/approvals", kid: "foreign", allow: [] },
  { route: "GET /multisig/proposals/:id/proof", kid: "-", allow: MULTISIG_READERS },
  { route: "POST /multisig/verify", kid: "-", allow: ALL },
  { route: "GET /log/checkpoint", kid: "-", allow: ALL },
  { route: "GET /log/key", kid: "-", allow: ALL },
  { route: "GET /log/proof/inclusion", kid: "-", allow: ALL },
  { route: "GET /log/proof/consistency", kid: "-", allow: ALL },
  { route: "GET /log/receipt/:index", kid: "-", allow: AUDIT_READERS },
]);

/** The matrix as the Markdown table docs/security.md carries between its marker comments. */
export function renderMatrix(rows: readonly MatrixRow[] = EXPECTED_MATRIX): string {
  const head = `| route | kid | ${MATRIX_ROLES.join(" | ")} |`;
  const rule = `|---|---|${MATRIX_ROLES.map(() => "---").join("|")}|`;
  const lines = rows.map(
    (r) =>
      `| \`${r.route}\` | ${r.kid} | ${MATRIX_ROLES.map((role) => (r.allow.includes(role) ? "allow" : "403")).join(" | ")} |`,
  );
  return [head, rule, ...lines].join("\n");
}

/** Marker comments around the generated table in docs/security.md. */
export const MATRIX_MARKERS = Object.freeze({
  start: "<!-- authz-matrix:start (generated from signer/test/auth/authz-matrix.ts) -->",
  end: "<!-- authz-matrix:end -->",
});
