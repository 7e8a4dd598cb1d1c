import {
  API_KEY_COLUMNS,
  type ApiKeyRecord,
  type ApiKeyRow,
  apiKeyFromRow,
  apiKeyParams,
} from "./api-key-rows.js";
import type { Query } from "./postgres-support.js";
import { StoreConflictError } from "./store.js";

const INSERT = `INSERT INTO api_keys (${API_KEY_COLUMNS.join(", ")})
  VALUES (${API_KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`;

/** The PostgreSQL API-key methods over a query function whose errors are already mapped. */
export const postgresApiKeys = Object.freeze({
  async create(q: Query, record: ApiKeyRecord): Promise<void> {
    await q(INSERT, apiKeyParams(record));
  },

  async get(q: Query, id: string): Promise<ApiKeyRecord | null> {
    const r = await q<ApiKeyRow>("SELECT * FROM api_keys WHERE id = $1", [id]);
    const row = r.rows[0];
    return row === undefined ? null : apiKeyFromRow(row);
  },

  async list(q: Query): Promise<ApiKeyRecord[]> {
    const r = await q<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at COLLATE "C", id COLLATE "C"');
    return r.rows.map(apiKeyFromRow);
  },

  async revoke(q: Query, id: string, at: string): Promise<ApiKeyRecord> {
    // COALESCE: the first revocation time is kept; revoking twice changes nothing.
    const r = await q<ApiKeyRow>(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *",
      [at, id],
    );
    const row = r.rows[0];
    if (row === undefined) throw new StoreConflictError(`unknown api key ${id}`);
    return apiKeyFromRow(row);
  },
});
