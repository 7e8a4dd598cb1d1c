import { TRANSPARENCY_LOG_MIGRATION } from "./log-checkpoints.js";
import { API_KEYS_MIGRATION } from "./migration-api-keys.js";
import { AUDIT_HASH_INDEX_MIGRATION } from "./migration-audit-hash-index.js";
import { MULTISIG_MIGRATION } from "./multisig-migration.js";

/**
 * Versioned schema migrations, one entry per version, in both SQL dialects. A shipped migration is
 * never edited: later tables (api_keys, multisig proposals, …) arrive as new entries with a higher
 * version. Each migration runs in its own transaction together with its `schema_migrations` row,
 * so a crash leaves the schema either before or after it, never half-way.
 *
 * Timestamps (`ts`, `deployed_at`, `updated_at`) are TEXT in both dialects on purpose: the audit
 * hash covers their exact RFC 3339 bytes, and a native timestamp type would re-format them.
 */

/** One schema version with its SQL for each backend. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** Creates the bookkeeping table; identical in both dialects and safe to run repeatedly. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

const SQLITE_V1 = `
CREATE TABLE keys (
  kid TEXT PRIMARY KEY NOT NULL,
  alg TEXT NOT NULL,
  public_key_pem TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'candidate', 'retired', 'revoked')),
  deployed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL
) STRICT;

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  ts TEXT NOT NULL,
  principal TEXT NOT NULL,
  op TEXT NOT NULL,
  kid TEXT,
  alg TEXT,
  digest_hex TEXT,
  result TEXT NOT NULL,
  request_id TEXT NOT NULL,
  audit_kid TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  signature TEXT
) STRICT;

-- The log is append-only: rewriting history must be impossible through the application's
-- connection, not merely detectable afterwards by the chain verifier.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Single row holding the chain head; every append locks and advances it, which serialises
-- appends across connections and processes.
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER,
  hash TEXT,
  CHECK ((seq IS NULL) = (hash IS NULL))
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, NULL, NULL);
`;

const POSTGRES_V1 = `
CREATE TABLE keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_key_pem TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'candidate', 'retired', 'revoked')),
  deployed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL
);

CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY CHECK (seq >= 0),
  ts TEXT NOT NULL,
  principal TEXT NOT NULL,
  op TEXT NOT NULL,
  kid TEXT,
  alg TEXT,
  digest_hex TEXT,
  result TEXT NOT NULL,
  request_id TEXT NOT NULL,
  audit_kid TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  signature TEXT
);

-- The log is append-only: rewriting history must be impossible through the application's
-- connection, not merely detectable afterwards by the chain verifier.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Single row holding the chain head; appends lock it with SELECT … FOR UPDATE, which serialises
-- them across every replica sharing the database.
CREATE TABLE audit_head (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  seq BIGINT,
  hash TEXT,
  CHECK ((seq IS NULL) = (hash IS NULL))
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, NULL, NULL);
`;

/** Every migration, ascending by version. Append only; never edit or reorder a shipped entry. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  Object.freeze({ version: 1, name: "keys-and-audit-log", sqlite: SQLITE_V1, postgres: POSTGRES_V1 }),
  MULTISIG_MIGRATION,
  API_KEYS_MIGRATION,
  TRANSPARENCY_LOG_MIGRATION,
  AUDIT_HASH_INDEX_MIGRATION,
]);

/** The schema version this build expects once every migration has run. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

/** The migrations not yet in `applied`, in order. Throws if the list itself is misordered. */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  let previous = 0;
  for (const m of MIGRATIONS) {
    // A duplicate or out-of-order version would make "already applied" ambiguous.
    if (!Number.isSafeInteger(m.version) || m.version <= previous) {
      throw new Error(`migration list is misordered at version ${m.version}`);
    }
    previous = m.version;
  }
  return MIGRATIONS.filter((m) => !applied.has(m.version));
}
