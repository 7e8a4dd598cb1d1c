// The audit_events schema, created in the connection's current schema (search_path).
import { inTransaction, type PgPoolOrClient } from "./pg-types.js";

/** Versioned migrations; applied in order, each once, recorded in memory_audit_migrations. */
const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = Object.freeze([
  {
    version: 1,
    sql: `
-- id: drawn under the head lock, so id order is chain order (keep the sequence's CACHE at 1).
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 256),
  payload jsonb NOT NULL,
  hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  -- UNIQUE: two rows after one predecessor would be a fork of the chain.
  prev_hash text NOT NULL UNIQUE CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  signature text NOT NULL CHECK (signature <> ''),
  signer_kid text NOT NULL,
  alg text NOT NULL,
  manifest_signature_id text NULL,
  created_at timestamptz NOT NULL
);
-- The chain head: one row, locked FOR UPDATE by every insert, so appends form one linear chain.
CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id bigint NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO audit_chain_head (singleton, last_id, hash) VALUES (true, NULL, repeat('0', 64));
CREATE FUNCTION memory_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION memory_audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION memory_audit_refuse_change();
`,
  },
]);

/** The newest schema version {@link migrate} creates. */
export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Create or upgrade the audit tables (`audit_events`, `audit_chain_head`, and the append-only
 * triggers) in the current schema. Safe to call from every replica at start-up: one transaction,
 * serialised by an advisory lock, and already-applied versions are skipped. Returns the versions applied.
 */
export async function migrate(pg: PgPoolOrClient): Promise<number[]> {
  return inTransaction(pg, "BEGIN", async (client) => {
    // Concurrent first starts would otherwise race on CREATE TABLE.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('memory_audit_migrate'))");
    await client.query(
      `CREATE TABLE IF NOT EXISTS memory_audit_migrations (
         version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ version: number }>("SELECT version FROM memory_audit_migrations");
    const applied = new Set(done.rows.map((r) => r.version));
    const now: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO memory_audit_migrations (version) VALUES ($1)", [m.version]);
      now.push(m.version);
    }
    return now;
  });
}
