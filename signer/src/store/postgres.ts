import pg from "pg";
import { KEY_STATUSES, type KeyStatus } from "../algorithms.js";
import type { ApiKeyRecord } from "./api-key-rows.js";
import { postgresApiKeys } from "./api-keys-postgres.js";
import { assertContinuesHead, headAfter } from "./chain.js";
import { type CheckpointRecord, pgAddCheckpoint, pgLatestCheckpoint } from "./log-checkpoints.js";
import type { MultisigDecider, ProposalRecord, ProposalState } from "./multisig-records.js";
import {
  pgDecideApproval,
  pgGetProposal,
  pgInsertProposal,
  pgLastApprovedVersion,
} from "./postgres-multisig.js";
import {
  assertSchemaName,
  inTransaction,
  mapPgError,
  migratePostgres,
  type Query,
  withSessionSettings,
} from "./postgres-support.js";
import {
  AUDIT_EVENT_COLUMNS,
  type AuditEventRow,
  type AuditHeadRow,
  assertPaging,
  eventFromRow,
  eventParams,
  headFromRow,
  KEY_COLUMNS,
  type KeyRow,
  keyFromRow,
  keyParams,
} from "./rows.js";
import { SerialQueue } from "./serial-queue.js";
import {
  type AuditBatchBuilder,
  type AuditEvent,
  type AuditHead,
  type KeyRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
} from "./store.js";

/** Options of openPostgresStore. */
export interface PostgresStoreOptions {
  /** Maximum pool connections (default 10). */
  readonly poolSize?: number;
  /** Schema to use (set as search_path); lets tests and tenants share one database. */
  readonly schema?: string;
  /** Sessions default to read-only and migrate() only checks the schema version. */
  readonly readonly?: boolean;
  /** `application_name` shown in pg_stat_activity (default `signing-proxy`). */
  readonly applicationName?: string;
  /** Give up connecting after this long (default 5000 ms), so an outage surfaces as a 503. */
  readonly connectionTimeoutMs?: number;
  /** Called with errors of idle pool clients (already handled; for logging). */
  readonly onPoolError?: (err: Error) => void;
}

const EVENT_TYPES = ["bigint", ...Array<string>(AUDIT_EVENT_COLUMNS.length - 1).fill("text")];
// unnest() turns one array per column into rows: one parameterised statement per batch, with
// 13 parameters whatever the batch size (a VALUES list would hit the 65535-parameter limit).
const INSERT_EVENTS = `INSERT INTO audit_events (${AUDIT_EVENT_COLUMNS.join(", ")})
  SELECT * FROM unnest(${EVENT_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})`;
const INSERT_EVENTS_AND_HEAD = `WITH inserted AS (${INSERT_EVENTS})
  UPDATE audit_head SET seq = $${EVENT_TYPES.length + 1}, hash = $${EVENT_TYPES.length + 2} WHERE id = 1`;
/** Locked appends after a one-statement append found the head moved by another writer. */
const LOCKED_AFTER_MISS = 16;
const N_COLS = EVENT_TYPES.length;
/** One statement: lock the head, and only if it is the expected one insert the rows and move it. */
const APPEND_IF_HEAD = `WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
  ok AS (SELECT 1 FROM head WHERE seq IS NOT DISTINCT FROM $${N_COLS + 1}::bigint
    AND hash IS NOT DISTINCT FROM $${N_COLS + 2}::text),
  inserted AS (${INSERT_EVENTS} WHERE EXISTS (SELECT 1 FROM ok))
  UPDATE audit_head SET seq = $${N_COLS + 3}, hash = $${N_COLS + 4} WHERE id = 1 AND EXISTS (SELECT 1 FROM ok)`;
const SELECT_EVENTS = `SELECT ${AUDIT_EVENT_COLUMNS.join(", ")} FROM audit_events
  WHERE seq >= $1 ORDER BY seq LIMIT $2`;
const INSERT_KEY = `INSERT INTO keys (${KEY_COLUMNS.join(", ")})
  VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}) ON CONFLICT (kid) DO NOTHING`;

/** Open a PostgreSQL store over a connection pool (connections are made lazily). */
export function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Store {
  const settings: Record<string, string> = {};
  if (opts.schema !== undefined) {
    assertSchemaName(opts.schema);
    settings.search_path = opts.schema;
  }
  if (opts.readonly === true) settings.default_transaction_read_only = "on";
  const pool = new pg.Pool({
    connectionString: withSessionSettings(url, settings),
    max: opts.poolSize ?? 10,
    application_name: opts.applicationName ?? "signing-proxy",
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5000,
    // A stalled builder must not hold the audit head lock of every replica indefinitely.
    idle_in_transaction_session_timeout: 30_000,
    keepAlive: true,
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash
  // the process. The pool drops that client and the next query reconnects.
  pool.on("error", (err) => opts.onPoolError?.(err));
  return new PostgresStore(pool, opts.readonly === true);
}

class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #readonly: boolean;
  // FOR UPDATE serialises replicas; this queue keeps one process from parking many pool clients
  // on the same row lock (which could starve a builder that needs a connection itself).
  readonly #appends = new SerialQueue();
  /**
   * The head this process's last append left, while no other writer is seen to move it: the next
   * batch is then built on it without a transaction and written by one statement that checks the
   * head under its row lock (one round trip). Undefined: use the locking path.
   */
  #lastHead: AuditHead | null | undefined;
  /** Appends left to make through the locking path after the one-statement path lost a race. */
  #lockedFor = 0;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, readonly: boolean) {
    this.#pool = pool;
    this.#readonly = readonly;
  }

  async migrate(): Promise<void> {
    this.#assertOpen();
    await migratePostgres(this.#pool, this.#readonly);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#q("SELECT 1");
  }

  async registerKey(record: KeyRecord): Promise<KeyRecord> {
    this.#assertOpen();
    // DO NOTHING keeps the first registration authoritative (kids are never re-bound).
    await this.#q(INSERT_KEY, keyParams(record));
    const key = await this.getKey(record.kid);
    if (key === null) throw new Error(`key ${record.kid} vanished after insert`);
    return key;
  }

  async getKey(kid: string): Promise<KeyRecord | null> {
    this.#assertOpen();
    const r = await this.#q<KeyRow>("SELECT * FROM keys WHERE kid = $1", [kid]);
    const row = r.rows[0];
    return row === undefined ? null : keyFromRow(row);
  }

  async listKeys(): Promise<KeyRecord[]> {
    this.#assertOpen();
    // COLLATE "C": byte order, the same as SQLite, whatever the database locale.
    const r = await this.#q<KeyRow>('SELECT * FROM keys ORDER BY kid COLLATE "C"');
    return r.rows.map(keyFromRow);
  }

  async setKeyStatus(kid: string, status: KeyStatus, at: string): Promise<KeyRecord> {
    this.#assertOpen();
    if (!KEY_STATUSES.includes(status)) throw new RangeError(`unknown key status ${String(status)}`);
    const r = await this.#q<KeyRow>(
      "UPDATE keys SET status = $1, updated_at = $2 WHERE kid = $3 RETURNING *",
      [status, at, kid],
    );
    const row = r.rows[0];
    if (row === undefined) throw new StoreConflictError(`unknown kid ${kid}`);
    return keyFromRow(row);
  }

  async appendAuditBatch(build: AuditBatchBuilder): Promise<readonly AuditEvent[]> {
    this.#assertOpen();
    return this.#appends.run(async () => {
      const expected = this.#lastHead;
      this.#lastHead = undefined;
      if (expected !== undefined) {
        const events = await build(expected);
        assertContinuesHead(expected, events);
        const next = headAfter(expected, events);
        if (next === null || next === expected) {
          this.#lastHead = expected;
          return events;
        }
        if (await this.#appendIfHead(expected, next, events)) {
          this.#lastHead = next;
          return events;
        }
        // Another replica appended since: build again on the locked head, and keep locking for a
        // while (replicas taking turns would make most one-statement attempts miss).
        this.#lockedFor = LOCKED_AFTER_MISS;
      }
      return inTransaction(
        this.#pool,
        async (q, locked) => {
          // The row lock is held until COMMIT: every other appender, in any replica, waits here.
          const head = headFromRow(locked?.rows[0] as AuditHeadRow | undefined);
          const events = await build(head);
          assertContinuesHead(head, events);
          await insertBatch(q, head, events);
          if (this.#lockedFor > 0) this.#lockedFor--;
          else this.#lastHead = headAfter(head, events);
          return events;
        },
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
      );
    });
  }

  /**
   * Insert `events` and move the head to `next` in one statement (one round trip, committed on
   * return), only if the head is still `expected` under its row lock; false if it moved.
   */
  async #appendIfHead(
    expected: AuditHead | null,
    next: AuditHead,
    events: readonly AuditEvent[],
  ): Promise<boolean> {
    const r = await this.#q(APPEND_IF_HEAD, [
      ...eventColumns(events),
      expected?.seq ?? null,
      expected?.hash ?? null,
      next.seq,
      next.hash,
    ]);
    return r.rowCount === 1;
  }

  async auditHead(): Promise<AuditHead | null> {
    this.#assertOpen();
    const r = await this.#q<AuditHeadRow>("SELECT seq, hash FROM audit_head WHERE id = 1");
    return headFromRow(r.rows[0]);
  }

  async readAuditEvents(fromSeq: number, limit: number): Promise<AuditEvent[]> {
    this.#assertOpen();
    assertPaging(fromSeq, limit);
    if (limit === 0) return [];
    const r = await this.#q<AuditEventRow>(SELECT_EVENTS, [fromSeq, limit]);
    return r.rows.map(eventFromRow);
  }

  async createApiKey(record: ApiKeyRecord): Promise<void> {
    this.#assertOpen();
    await postgresApiKeys.create((text, params) => this.#q(text, params), record);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    this.#assertOpen();
    return postgresApiKeys.get((text, params) => this.#q(text, params), id);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    this.#assertOpen();
    return postgresApiKeys.list((text, params) => this.#q(text, params));
  }

  async revokeApiKey(id: string, at: string): Promise<ApiKeyRecord> {
    this.#assertOpen();
    return postgresApiKeys.revoke((text, params) => this.#q(text, params), id, at);
  }

  async insertProposal(record: ProposalRecord): Promise<void> {
    this.#assertOpen();
    await pgInsertProposal((text, params) => this.#q(text, params), record);
  }

  async getProposal(id: string): Promise<ProposalState | null> {
    this.#assertOpen();
    return pgGetProposal((text, params) => this.#q(text, params), id);
  }

  async lastApprovedVersion(target: string): Promise<number | null> {
    this.#assertOpen();
    return pgLastApprovedVersion((text, params) => this.#q(text, params), target);
  }

  async decideApproval<T>(
    id: string,
    kids: readonly string[],
    decide: MultisigDecider<T>,
  ): Promise<T | null> {
    this.#assertOpen();
    return pgDecideApproval(this.#pool, id, kids, decide);
  }

  async addCheckpoint(record: CheckpointRecord): Promise<CheckpointRecord> {
    this.#assertOpen();
    return pgAddCheckpoint((text, params) => this.#q(text, params), record);
  }

  async latestCheckpoint(): Promise<CheckpointRecord | null> {
    this.#assertOpen();
    return pgLatestCheckpoint((text, params) => this.#q(text, params));
  }

  close(): Promise<void> {
    // Idempotent; an append in flight finishes (commit or rollback) before the pool ends.
    this.#closing ??= this.#appends.drain().then(() => this.#pool.end());
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreUnavailableError("postgres store is closed");
  }

  async #q<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, params);
    } catch (e) {
      throw mapPgError(e);
    }
  }
}

async function insertBatch(q: Query, head: AuditHead | null, events: readonly AuditEvent[]): Promise<void> {
  const next = headAfter(head, events);
  if (next === null || next === head) return;
  // One round trip: the rows and the head move in one statement.
  await q(INSERT_EVENTS_AND_HEAD, [...eventColumns(events), next.seq, next.hash]);
}

/** The events as one array per column, for the `unnest` insert. */
function eventColumns(events: readonly AuditEvent[]): Array<Array<string | number | null>> {
  const rows = events.map(eventParams);
  return AUDIT_EVENT_COLUMNS.map((_, i) => rows.map((row) => row[i] ?? null));
}
