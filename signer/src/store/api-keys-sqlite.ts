import type Database from "better-sqlite3";
import {
  API_KEY_COLUMNS,
  type ApiKeyRecord,
  type ApiKeyRow,
  apiKeyFromRow,
  apiKeyParams,
} from "./api-key-rows.js";
import { StoreConflictError } from "./store.js";

type Stmt<R> = Database.Statement<unknown[], R>;

/** The SQLite statements of the API-key methods; the caller serialises writes and maps errors. */
export class SqliteApiKeys {
  readonly #insert: Stmt<unknown>;
  readonly #get: Stmt<ApiKeyRow>;
  readonly #list: Stmt<ApiKeyRow>;
  readonly #revoke: Stmt<ApiKeyRow>;

  constructor(db: Database.Database) {
    const marks = API_KEY_COLUMNS.map(() => "?").join(", ");
    this.#insert = db.prepare(`INSERT INTO api_keys (${API_KEY_COLUMNS.join(", ")}) VALUES (${marks})`);
    this.#get = db.prepare<unknown[], ApiKeyRow>("SELECT * FROM api_keys WHERE id = ?");
    this.#list = db.prepare<unknown[], ApiKeyRow>("SELECT * FROM api_keys ORDER BY created_at, id");
    // COALESCE: the first revocation time is kept; revoking twice changes nothing.
    this.#revoke = db.prepare<unknown[], ApiKeyRow>(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *",
    );
  }

  create(record: ApiKeyRecord): void {
    this.#insert.run(...apiKeyParams(record));
  }

  get(id: string): ApiKeyRecord | null {
    const row = this.#get.get(id);
    return row === undefined ? null : apiKeyFromRow(row);
  }

  list(): ApiKeyRecord[] {
    return this.#list.all().map(apiKeyFromRow);
  }

  revoke(id: string, at: string): ApiKeyRecord {
    const row = this.#revoke.get(at, id);
    if (row === undefined) throw new StoreConflictError(`unknown api key ${id}`);
    return apiKeyFromRow(row);
  }
}
