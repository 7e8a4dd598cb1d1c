import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

/** Where the store lives (from DATABASE_URL / SIGNER_DATA_DIR, DESIGN.md A2). */
export interface OpenStoreOptions {
  /** PostgreSQL URL; when absent, embedded SQLite at `<dataDir>/signer.db`. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  /** For offline commands: no writes, no migrations (only a version check), no process lock. */
  readonly readonly?: boolean;
}

/** Open the configured store and bring its schema up to date. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const readonly = opts.readonly ?? false;
  let store: Store;
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== "") {
    store = openPostgresStore(opts.databaseUrl, { readonly });
  } else {
    // 0o700: the audit log and key registry are for the service's user only.
    if (!readonly) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    store = openSqliteStore(join(opts.dataDir, "signer.db"), { readonly });
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
