/** An issued API key as the store keeps it: its scope and a hash, never the key itself. */
export interface ApiKeyRecord {
  /** Public identifier, also embedded in the key (`spk_<id>_<secret>`). */
  readonly id: string;
  readonly name: string;
  /** The principal whose second factor this key is. */
  readonly principal: string;
  /** Permissions the key allows (a subset of the principal's). */
  readonly permissions: readonly string[];
  /** Kids the key may sign with (a subset of the principal's). */
  readonly keys: readonly string[];
  /** Lowercase hex SHA-256 of the whole key string. */
  readonly keyHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** RFC 3339 time of revocation, or null while the key is live. */
  readonly revokedAt: string | null;
}

/** An `api_keys` row; the two lists are JSON arrays of strings. */
export interface ApiKeyRow {
  readonly id: string;
  readonly name: string;
  readonly principal: string;
  readonly permissions: string;
  readonly keys: string;
  readonly key_hash: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly revoked_at: string | null;
}

/** Column list of `api_keys` in insert order (matches apiKeyParams). */
export const API_KEY_COLUMNS = [
  "id",
  "name",
  "principal",
  "permissions",
  "keys",
  "key_hash",
  "created_at",
  "expires_at",
  "revoked_at",
] as const;

function stringList(text: string, what: string): string[] {
  const value: unknown = JSON.parse(text);
  // A malformed scope must never widen into "everything": refuse the row instead.
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`api key row has a malformed ${what} list`);
  }
  return value;
}

/** Map a row to a frozen record, refusing malformed scope lists. */
export function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return Object.freeze({
    id: row.id,
    name: row.name,
    principal: row.principal,
    permissions: Object.freeze(stringList(row.permissions, "permissions")),
    keys: Object.freeze(stringList(row.keys, "keys")),
    keyHash: row.key_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  });
}

/** Parameters for inserting a record, in API_KEY_COLUMNS order. */
export function apiKeyParams(r: ApiKeyRecord): (string | null)[] {
  return [
    r.id,
    r.name,
    r.principal,
    JSON.stringify(r.permissions),
    JSON.stringify(r.keys),
    r.keyHash,
    r.createdAt,
    r.expiresAt,
    r.revokedAt,
  ];
}
