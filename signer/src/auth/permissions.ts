import type { Role } from "../algorithms.js";

/** Everything a principal may be allowed to do. */
export const PERMISSIONS = Object.freeze([
  "sign:hash",
  "sign:canonical",
  "verify",
  "keys:read",
  "keys:manage",
  "audit:read",
  "multisig:propose",
  "multisig:approve",
  "apikeys:manage",
] as const);
export type Permission = (typeof PERMISSIONS)[number];

const operator: readonly Permission[] = ["verify", "keys:read", "multisig:propose", "multisig:approve"];

/** Role → permissions; the table docs/security.md prints. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  service: Object.freeze(["sign:hash", "sign:canonical", "verify", "keys:read"] as Permission[]),
  Auditor: Object.freeze(["verify", "keys:read", "audit:read"] as Permission[]),
  Operator: Object.freeze([...operator]),
  DivisionLead: Object.freeze([...operator, "audit:read"] as Permission[]),
  SuperAdmin: Object.freeze([...PERMISSIONS]),
});

/** The union of the permissions of `roles`. */
export function permissionsOf(roles: readonly Role[]): ReadonlySet<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role]) out.add(p);
  return out;
}
