import type { ApiKeyRecord } from "../store/api-key-rows.js";
import { apiKeyHashMatches, issuedKeyId } from "./api-key-token.js";
import { PERMISSIONS, type Permission } from "./permissions.js";
import type { Principal } from "./principal.js";

/** Why an issued API key was not accepted (logged, never sent to the client). */
export type ApiKeyRefusal = "malformed" | "unknown" | "mismatch" | "revoked" | "expired" | "other-principal";

/** The outcome of checking a presented issued key. */
export type ApiKeyCheck =
  | { readonly ok: true; readonly record: ApiKeyRecord }
  | { readonly ok: false; readonly reason: ApiKeyRefusal };

/** The one store method the per-request check needs. */
export interface ApiKeyLookup {
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
}

const DUMMY_HASH = "0".repeat(64);

/**
 * Check a presented issued key for `principalId`. The record is read from the store on every call
 * (no cache), so `signer api-key revoke` takes effect on the next request on every replica.
 */
export async function checkIssuedKey(
  lookup: ApiKeyLookup,
  presented: string,
  principalId: string,
  now: Date,
): Promise<ApiKeyCheck> {
  const id = issuedKeyId(presented);
  if (id === undefined) return { ok: false, reason: "malformed" };
  const record = await lookup.getApiKey(id);
  // Hash even for an unknown id, so a miss and a mismatch cost the same time.
  const matches = apiKeyHashMatches(presented, record?.keyHash ?? DUMMY_HASH);
  if (!record) return { ok: false, reason: "unknown" };
  if (!matches) return { ok: false, reason: "mismatch" };
  if (record.revokedAt !== null) return { ok: false, reason: "revoked" };
  // Expiry is checked here, per request: an expired key is refused even if nobody revoked it.
  if (Date.parse(record.expiresAt) <= now.getTime()) return { ok: false, reason: "expired" };
  // A key is a second factor of one principal: another certificate cannot borrow it.
  if (record.principal !== principalId) return { ok: false, reason: "other-principal" };
  return { ok: true, record };
}

function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The principal as restricted by a key: permissions and kids are intersections, never unions. */
export function restrictPrincipal(principal: Principal, record: ApiKeyRecord): Principal {
  const permissions = new Set<Permission>();
  for (const p of record.permissions) if (isPermission(p) && principal.permissions.has(p)) permissions.add(p);
  const keys = new Set(record.keys.filter((kid) => principal.keys.has(kid)));
  return { ...principal, permissions, keys };
}

/** What a new key may cover, checked against its principal when it is issued. */
export interface ScopeRequest {
  readonly permissions: readonly string[];
  readonly keys: readonly string[];
}

/** Problems with a requested scope (empty when it is a subset of the principal's grants). */
export function scopeProblems(
  request: ScopeRequest,
  grant: { permissions: ReadonlySet<Permission>; keys: ReadonlySet<string> },
): string[] {
  const problems: string[] = [];
  if (request.permissions.length === 0) problems.push("--permissions names no permission");
  for (const p of request.permissions) {
    if (!isPermission(p))
      problems.push(`unknown permission "${p}" (expected one of ${PERMISSIONS.join(", ")})`);
    // A key can only narrow what its principal may do, never widen it.
    else if (!grant.permissions.has(p)) problems.push(`the principal does not hold permission "${p}"`);
  }
  for (const kid of request.keys) {
    if (!grant.keys.has(kid)) problems.push(`the principal may not use key "${kid}"`);
  }
  const signs = request.permissions.some((p) => p === "sign:hash" || p === "sign:canonical");
  if (signs && request.keys.length === 0) problems.push("a key with sign permissions needs --keys");
  return problems;
}
