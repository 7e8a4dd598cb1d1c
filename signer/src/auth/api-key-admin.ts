import { createHash } from "node:crypto";
import { canonicalBytes } from "@signing-proxy/client-sdk";
import type { AuditInput } from "../audit/event.js";
import type { PrincipalConfig } from "../config/types.js";
import type { ApiKeyRecord } from "../store/api-key-rows.js";
import type { Store } from "../store/store.js";
import { scopeProblems } from "./api-key-scope.js";
import { generateApiKey } from "./api-key-token.js";
import { permissionsOf } from "./permissions.js";

/** A refused API-key operation; the message is for the operator. */
export class ApiKeyAdminError extends Error {
  readonly kind: "usage" | "state";
  constructor(kind: "usage" | "state", message: string) {
    super(message);
    this.name = "ApiKeyAdminError";
    this.kind = kind;
  }
}

/** What issuing, listing and revoking keys need: the store, and an audit sink that commits durably. */
export interface ApiKeyAdminDeps {
  readonly store: Pick<Store, "createApiKey" | "getApiKey" | "listApiKeys" | "revokeApiKey">;
  readonly audit: (event: AuditInput) => Promise<void>;
  /** Who is acting, for the audit event (e.g. `cli:alice`). */
  readonly actor: string;
  readonly now?: () => Date;
}

/** A request for a new key (`signer api-key generate`). */
export interface IssueRequest {
  readonly name: string;
  readonly principal: string;
  readonly permissions: readonly string[];
  readonly keys: readonly string[];
  readonly expiresInMs: number;
}

/** An API key record without its hash: what `list` and `generate --json` print. */
export type ApiKeyView = Omit<ApiKeyRecord, "keyHash">;

/** The record as shown to operators: never the hash (nor, after `generate`, the key). */
export function viewOf(record: ApiKeyRecord): ApiKeyView {
  const { keyHash: _hidden, ...view } = record;
  return view;
}

/** SHA-256 of the RFC 8785 bytes of a key's public record: binds its scope into the audit chain. */
export function scopeDigest(record: ApiKeyRecord): string {
  const { id, name, principal, permissions, keys, expiresAt } = record;
  const bytes = canonicalBytes({
    id,
    name,
    principal,
    permissions: [...permissions],
    keys: [...keys],
    expiresAt,
  });
  return createHash("sha256").update(bytes).digest("hex");
}

const NAME = /^[\x20-\x7e]{1,64}$/;

/** Check a request against the configured principals (before anything is opened); returns its principal. */
export function checkIssueRequest(
  principals: readonly PrincipalConfig[],
  request: IssueRequest,
): PrincipalConfig {
  if (!NAME.test(request.name))
    throw new ApiKeyAdminError("usage", "--name must be 1 to 64 printable characters");
  const principal = principals.find((p) => p.id === request.principal);
  // Keys belong to configured principals only; an implicit (no-principals) deployment has none to scope.
  if (!principal) throw new ApiKeyAdminError("usage", `no principal "${request.principal}" in SIGNER_CONFIG`);
  const problems = scopeProblems(request, {
    permissions: permissionsOf(principal.roles),
    keys: new Set(principal.keys),
  });
  if (problems.length > 0) throw new ApiKeyAdminError("usage", problems.join("; "));
  return principal;
}

/**
 * Issue a key: check the scope against the principal's configured grants, record the audit event,
 * then store the hash. The key itself is returned once and never stored. Audit first: if the event
 * cannot be committed, no key exists; if the insert then fails, the log only over-reports.
 */
export async function issueApiKey(
  deps: ApiKeyAdminDeps,
  principals: readonly PrincipalConfig[],
  request: IssueRequest,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const principal = checkIssueRequest(principals, request);
  const now = (deps.now ?? (() => new Date()))();
  const fresh = generateApiKey();
  const record: ApiKeyRecord = Object.freeze({
    id: fresh.id,
    name: request.name,
    principal: principal.id,
    permissions: Object.freeze([...new Set(request.permissions)]),
    keys: Object.freeze([...new Set(request.keys)]),
    keyHash: fresh.keyHash,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + request.expiresInMs).toISOString(),
    revokedAt: null,
  });
  await deps.audit(eventFor(deps.actor, "apikey.generate", record));
  await deps.store.createApiKey(record);
  return { key: fresh.key, record };
}

/** Revoke a key (effective on the next request everywhere); revoking twice is a no-op without a new event. */
export async function revokeApiKey(
  deps: ApiKeyAdminDeps,
  id: string,
): Promise<{ record: ApiKeyRecord; already: boolean }> {
  const existing = await deps.store.getApiKey(id);
  if (!existing) throw new ApiKeyAdminError("state", `no API key with id ${id}`);
  if (existing.revokedAt !== null) return { record: existing, already: true };
  // Revoke first: taking a key out of service must not wait for (or fail with) the audit log.
  const record = await deps.store.revokeApiKey(id, (deps.now ?? (() => new Date()))().toISOString());
  await deps.audit(eventFor(deps.actor, "apikey.revoke", record));
  return { record, already: false };
}

function eventFor(actor: string, op: string, record: ApiKeyRecord): AuditInput {
  return {
    principal: actor,
    op,
    kid: null,
    alg: null,
    digestHex: scopeDigest(record),
    result: "ok",
    requestId: `apikey:${record.id}`,
  };
}
