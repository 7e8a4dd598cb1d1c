import type Database from "better-sqlite3";
import type { Migration } from "./migrations.js";
import type { Query } from "./postgres-support.js";
import { toSeq } from "./rows.js";

/** A signed transparency-log checkpoint as the store keeps it (docs/transparency-log.md). */
export interface CheckpointRecord {
  /** Tree size (number of leaves = audit events 0..size-1). */
  readonly size: number;
  /** Lowercase hex root hash. */
  readonly rootHex: string;
  /** The complete signed note, exactly as served. */
  readonly note: string;
  readonly issuedAt: string;
}

interface CheckpointRow {
  readonly tree_size: number | string;
  readonly root_hash: string;
  readonly note: string;
  readonly issued_at: string;
}

const TABLE = `CREATE TABLE log_checkpoints (
  tree_size BIGINT PRIMARY KEY CHECK (tree_size >= 0),
  root_hash TEXT NOT NULL CHECK (length(root_hash) = 64),
  note TEXT NOT NULL,
  issued_at TEXT NOT NULL
)`;

/**
 * Version 4: signed checkpoints of the transparency log. Leaf hashes are derived from
 * audit_events (leaf i = event seq i), so only the checkpoints themselves are stored; like the
 * events, they are append-only, so an issued checkpoint can never be replaced.
 */
export const TRANSPARENCY_LOG_MIGRATION: Migration = Object.freeze({
  version: 4,
  name: "transparency-log",
  sqlite: `${TABLE.replace("BIGINT", "INTEGER")} STRICT;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;
`,
  postgres: `${TABLE};
CREATE FUNCTION log_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'log_checkpoints is append-only';
END
$$;
CREATE TRIGGER log_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON log_checkpoints
  FOR EACH ROW EXECUTE FUNCTION log_checkpoints_append_only();
`,
});

function fromRow(row: CheckpointRow): CheckpointRecord {
  return Object.freeze({
    size: toSeq(row.tree_size),
    rootHex: row.root_hash,
    note: row.note,
    issuedAt: row.issued_at,
  });
}

const LATEST = "SELECT * FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1";

/** SQLite: insert unless the size exists (another process issued it); returns the stored record. */
export function sqliteAddCheckpoint(db: Database.Database, cp: CheckpointRecord): CheckpointRecord {
  db.prepare(
    "INSERT INTO log_checkpoints (tree_size, root_hash, note, issued_at) VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
  ).run(cp.size, cp.rootHex, cp.note, cp.issuedAt);
  const row = db
    .prepare<unknown[], CheckpointRow>("SELECT * FROM log_checkpoints WHERE tree_size = ?")
    .get(cp.size);
  if (!row) throw new Error("checkpoint vanished after insert");
  return fromRow(row);
}

/** SQLite: the checkpoint with the largest size, or null. */
export function sqliteLatestCheckpoint(db: Database.Database): CheckpointRecord | null {
  const row = db.prepare<unknown[], CheckpointRow>(LATEST).get();
  return row ? fromRow(row) : null;
}

/** PostgreSQL: insert unless the size exists (another replica issued it); returns the stored record. */
export async function pgAddCheckpoint(q: Query, cp: CheckpointRecord): Promise<CheckpointRecord> {
  await q(
    "INSERT INTO log_checkpoints (tree_size, root_hash, note, issued_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
    [cp.size, cp.rootHex, cp.note, cp.issuedAt],
  );
  const r = await q<CheckpointRow>("SELECT * FROM log_checkpoints WHERE tree_size = $1", [cp.size]);
  const row = r.rows[0];
  if (!row) throw new Error("checkpoint vanished after insert");
  return fromRow(row);
}

/** PostgreSQL: the checkpoint with the largest size, or null. */
export async function pgLatestCheckpoint(q: Query): Promise<CheckpointRecord | null> {
  const r = await q<CheckpointRow>(LATEST);
  const row = r.rows[0];
  return row ? fromRow(row) : null;
}
