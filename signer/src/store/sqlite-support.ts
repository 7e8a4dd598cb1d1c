import Database from "better-sqlite3";
import { pendingMigrations, SCHEMA_MIGRATIONS_DDL } from "./migrations.js";
import {
  AUDIT_EVENT_COLUMNS,
  type AuditEventRow,
  type AuditHeadRow,
  KEY_COLUMNS,
  type KeyRow,
} from "./rows.js";
import { StoreConflictError, StoreUnavailableError } from "./store.js";

type Db = Database.Database;
type Stmt<R> = Database.Statement<unknown[], R>;

/** SQLite result codes that mean "cannot serve now", not "this request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|NOMEM|CORRUPT|NOTADB|PERM|PROTOCOL)/;

/** Translate a better-sqlite3 failure into the Store error contract; other errors pass through. */
export function mapSqliteError(e: unknown): unknown {
  if (e instanceof StoreConflictError || e instanceof StoreUnavailableError) return e;
  if (e instanceof Database.SqliteError) {
    if (UNAVAILABLE.test(e.code))
      return new StoreUnavailableError(`sqlite store unavailable (${e.code})`, { cause: e });
    if (e.code.startsWith("SQLITE_CONSTRAINT"))
      return new StoreConflictError(`sqlite constraint failed (${e.code})`);
    return e;
  }
  // better-sqlite3 reports a closed handle or a missing directory as TypeError, not SqliteError.
  if (e instanceof TypeError && /database connection is not open|directory does not exist/i.test(e.message)) {
    return new StoreUnavailableError(`sqlite store unavailable: ${e.message}`, { cause: e });
  }
  return e;
}

/** Set the per-connection pragmas; WAL and the journal mode are persistent, the rest are not. */
export function configureConnection(db: Db, readonly: boolean): void {
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  if (readonly) return;
  db.pragma("journal_mode = WAL");
  // FULL: fsync the WAL on every commit; the audit log promises durability before release (A6).
  db.pragma("synchronous = FULL");
}

/** Every statement the store runs, prepared once after migrations created the tables. */
export interface Statements {
  readonly begin: Stmt<unknown>;
  readonly commit: Stmt<unknown>;
  readonly rollback: Stmt<unknown>;
  readonly insertKey: Stmt<unknown>;
  readonly getKey: Stmt<KeyRow>;
  readonly listKeys: Stmt<KeyRow>;
  readonly setKeyStatus: Stmt<KeyRow>;
  readonly head: Stmt<AuditHeadRow>;
  readonly setHead: Stmt<unknown>;
  readonly insertEvent: Stmt<unknown>;
  readonly readEvents: Stmt<AuditEventRow>;
}

/** Prepare the statement cache. */
export function prepareStatements(db: Db): Statements {
  const p = <R>(sql: string): Stmt<R> => db.prepare<unknown[], R>(sql);
  const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");
  return {
    // IMMEDIATE takes the write lock up front, so the head we read cannot move before COMMIT.
    begin: p("BEGIN IMMEDIATE"),
    commit: p("COMMIT"),
    rollback: p("ROLLBACK"),
    insertKey: p(
      `INSERT INTO keys (${KEY_COLUMNS.join(", ")}) VALUES (${marks(KEY_COLUMNS.length)}) ON CONFLICT (kid) DO NOTHING`,
    ),
    getKey: p<KeyRow>("SELECT * FROM keys WHERE kid = ?"),
    listKeys: p<KeyRow>("SELECT * FROM keys ORDER BY kid"),
    setKeyStatus: p<KeyRow>("UPDATE keys SET status = ?, updated_at = ? WHERE kid = ? RETURNING *"),
    head: p<AuditHeadRow>("SELECT seq, hash FROM audit_head WHERE id = 1"),
    setHead: p("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"),
    insertEvent: p(
      `INSERT INTO audit_events (${AUDIT_EVENT_COLUMNS.join(", ")}) VALUES (${marks(AUDIT_EVENT_COLUMNS.length)})`,
    ),
    readEvents: p<AuditEventRow>(
      `SELECT ${AUDIT_EVENT_COLUMNS.join(", ")} FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?`,
    ),
  };
}

function appliedVersions(db: Db): Set<number> {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (exists === undefined) return new Set();
  const rows = db.prepare<[], { version: number }>("SELECT version FROM schema_migrations").all();
  return new Set(rows.map((r) => r.version));
}

/**
 * Apply pending migrations, each in its own IMMEDIATE transaction that re-reads the applied set,
 * so two processes migrating together apply each version once. A read-only connection only checks.
 */
export function migrateSqlite(db: Db, readonly: boolean): void {
  if (readonly) {
    const pending = pendingMigrations(appliedVersions(db));
    if (pending.length > 0) {
      throw new StoreUnavailableError(
        `database schema is missing migration ${pending[0]?.version}; open it read-write (start the service) once`,
      );
    }
    return;
  }
  const applyNext = db.transaction((): boolean => {
    db.exec(SCHEMA_MIGRATIONS_DDL);
    const next = pendingMigrations(appliedVersions(db))[0];
    if (next === undefined) return false;
    db.exec(next.sqlite);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
      next.version,
      next.name,
      new Date().toISOString(),
    );
    return true;
  });
  while (applyNext.immediate()) {
    // one migration per transaction
  }
}
