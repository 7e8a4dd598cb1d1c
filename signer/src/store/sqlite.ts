import Database from "better-sqlite3";
import { KEY_STATUSES, type KeyStatus } from "../algorithms.js";
import type { ApiKeyRecord } from "./api-key-rows.js";
import { SqliteApiKeys } from "./api-keys-sqlite.js";
import { assertContinuesHead, headAfter } from "./chain.js";
import { type CheckpointRecord, sqliteAddCheckpoint, sqliteLatestCheckpoint } from "./log-checkpoints.js";
import type { MultisigDecider, ProposalRecord, ProposalState } from "./multisig-records.js";
import { assertPaging, eventFromRow, eventParams, headFromRow, keyFromRow, keyParams } from "./rows.js";
import { SerialQueue } from "./serial-queue.js";
import { AppendWorker } from "./sqlite-append-protocol.js";
import { acquireProcessLock, type ProcessLock, type ProcessLockOptions } from "./sqlite-lock.js";
import {
  sqliteDecideApproval,
  sqliteGetProposal,
  sqliteInsertProposal,
  sqliteLastApprovedVersion,
} from "./sqlite-multisig.js";
import {
  configureConnection,
  mapSqliteError,
  migrateSqlite,
  prepareStatements,
  type Statements,
} from "./sqlite-support.js";
import {
  type AuditBatchBuilder,
  type AuditEvent,
  type AuditHead,
  type KeyRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
} from "./store.js";

/** Options of openSqliteStore. */
export interface SqliteStoreOptions {
  /** Open without writing (offline `audit verify`, `keys list`); skips the process lock. */
  readonly readonly?: boolean;
  /** Take the `<db>.lock` process lock (default true for read-write opens). */
  readonly lock?: boolean;
  /** Lock timing, for tests. */
  readonly lockOptions?: ProcessLockOptions;
}

/** Connection settings as SQLite reports them (for tests and diagnostics). */
export interface SqlitePragmas {
  readonly journalMode: string;
  readonly synchronous: number;
  readonly busyTimeout: number;
  readonly foreignKeys: number;
}

/** The SQLite Store, plus a diagnostic view of its pragmas. */
export interface SqliteStore extends Store {
  readonly kind: "sqlite";
  readonly path: string;
  pragmas(): SqlitePragmas;
}

/**
 * Open (creating if needed) the SQLite store at `path`. Read-write opens take the process lock
 * first and fail with StoreLockedError while another live signer holds it.
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  const readonly = opts.readonly ?? false;
  const useLock = !readonly && (opts.lock ?? true) && path !== ":memory:";
  // Lock before opening, so a refused second writer never touches the file.
  const lock = useLock ? acquireProcessLock(path, opts.lockOptions) : null;
  try {
    const db = new Database(path, { readonly, fileMustExist: readonly });
    try {
      configureConnection(db, readonly);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteStoreImpl(db, path, lock, readonly);
  } catch (e) {
    lock?.release();
    throw mapSqliteError(e);
  }
}

class SqliteStoreImpl implements SqliteStore {
  readonly kind = "sqlite" as const;
  readonly path: string;
  readonly #db: Database.Database;
  readonly #lock: ProcessLock | null;
  readonly #readonly: boolean;
  // Every write goes through this queue: while an append awaits its builder the transaction is
  // open on this one connection, and any other statement would silently join it.
  readonly #writes = new SerialQueue();
  readonly #ping: Database.Statement;
  #stmts: Statements | undefined;
  #appender: AppendWorker | undefined;
  #apiKeyStmts: SqliteApiKeys | undefined;
  #closing: Promise<void> | undefined;

  constructor(db: Database.Database, path: string, lock: ProcessLock | null, readonly: boolean) {
    this.#db = db;
    this.path = path;
    this.#lock = lock;
    this.#readonly = readonly;
    this.#ping = db.prepare("SELECT 1");
  }

  pragmas(): SqlitePragmas {
    this.#assertOpen();
    const get = (name: string): unknown => this.#db.pragma(name, { simple: true });
    return {
      journalMode: String(get("journal_mode")),
      synchronous: Number(get("synchronous")),
      busyTimeout: Number(get("busy_timeout")),
      foreignKeys: Number(get("foreign_keys")),
    };
  }

  async migrate(): Promise<void> {
    this.#assertOpen();
    await this.#writes.run(() =>
      this.#sql(() => {
        migrateSqlite(this.#db, this.#readonly);
        this.#stmts = undefined;
      }),
    );
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#sql(() => this.#ping.get());
  }

  async registerKey(record: KeyRecord): Promise<KeyRecord> {
    this.#assertOpen();
    return this.#writes.run(() =>
      this.#sql(() => {
        const s = this.#s();
        // DO NOTHING keeps the first registration authoritative (kids are never re-bound).
        s.insertKey.run(...keyParams(record));
        const row = s.getKey.get(record.kid);
        if (row === undefined) throw new Error(`key ${record.kid} vanished after insert`);
        return keyFromRow(row);
      }),
    );
  }

  async getKey(kid: string): Promise<KeyRecord | null> {
    this.#assertOpen();
    return this.#sql(() => {
      const row = this.#s().getKey.get(kid);
      return row === undefined ? null : keyFromRow(row);
    });
  }

  async listKeys(): Promise<KeyRecord[]> {
    this.#assertOpen();
    return this.#sql(() => this.#s().listKeys.all().map(keyFromRow));
  }

  async setKeyStatus(kid: string, status: KeyStatus, at: string): Promise<KeyRecord> {
    this.#assertOpen();
    if (!KEY_STATUSES.includes(status)) throw new RangeError(`unknown key status ${String(status)}`);
    return this.#writes.run(() =>
      this.#sql(() => {
        const row = this.#s().setKeyStatus.get(status, at, kid);
        if (row === undefined) throw new StoreConflictError(`unknown kid ${kid}`);
        return keyFromRow(row);
      }),
    );
  }

  async appendAuditBatch(build: AuditBatchBuilder): Promise<readonly AuditEvent[]> {
    this.#assertOpen();
    return this.#writes.run(async () => {
      // A read-only store fails in the inline path (SQLITE_READONLY); ":memory:" cannot be shared with a worker.
      if (this.#readonly || this.path === ":memory:") return this.#appendInline(build);
      // The commit (and its fsync) runs on the append worker's connection; this thread keeps serving.
      this.#appender ??= new AppendWorker(this.path);
      const head = this.#sql(() => headFromRow(this.#s().head.get()));
      const events = await build(head);
      assertContinuesHead(head, events);
      const next = headAfter(head, events);
      if (next === null || events.length === 0) return events;
      await this.#appender.append({ expected: head, next, rows: events.map(eventParams) });
      return events;
    });
  }

  /** In-thread append, for ":memory:" and read-only databases. */
  async #appendInline(build: AuditBatchBuilder): Promise<readonly AuditEvent[]> {
    const s = this.#sql(() => this.#s());
    this.#sql(() => s.begin.run());
    try {
      // Read the head inside the write transaction: nobody can advance it until we commit.
      const head = this.#sql(() => headFromRow(s.head.get()));
      const events = await build(head);
      assertContinuesHead(head, events);
      this.#sql(() => {
        for (const event of events) s.insertEvent.run(...eventParams(event));
        const next = headAfter(head, events);
        if (next !== null && next !== head) s.setHead.run(next.seq, next.hash);
        s.commit.run();
      });
      return events;
    } catch (e) {
      // Nothing of a failed batch may remain: undo inserts and the head move together.
      if (this.#db.inTransaction) {
        try {
          s.rollback.run();
        } catch {
          // The original error is the one worth reporting.
        }
      }
      throw mapSqliteError(e);
    }
  }

  async auditHead(): Promise<AuditHead | null> {
    this.#assertOpen();
    return this.#sql(() => headFromRow(this.#s().head.get()));
  }

  async readAuditEvents(fromSeq: number, limit: number): Promise<AuditEvent[]> {
    this.#assertOpen();
    assertPaging(fromSeq, limit);
    if (limit === 0) return [];
    return this.#sql(() => this.#s().readEvents.all(fromSeq, limit).map(eventFromRow));
  }

  async createApiKey(record: ApiKeyRecord): Promise<void> {
    this.#assertOpen();
    await this.#writes.run(() => this.#sql(() => this.#apiKeys().create(record)));
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    this.#assertOpen();
    return this.#sql(() => this.#apiKeys().get(id));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    this.#assertOpen();
    return this.#sql(() => this.#apiKeys().list());
  }

  async revokeApiKey(id: string, at: string): Promise<ApiKeyRecord> {
    this.#assertOpen();
    return this.#writes.run(() => this.#sql(() => this.#apiKeys().revoke(id, at)));
  }

  #apiKeys(): SqliteApiKeys {
    this.#apiKeyStmts ??= new SqliteApiKeys(this.#db);
    return this.#apiKeyStmts;
  }

  async insertProposal(record: ProposalRecord): Promise<void> {
    this.#assertOpen();
    await this.#writes.run(() => this.#sql(() => sqliteInsertProposal(this.#db, record)));
  }

  async getProposal(id: string): Promise<ProposalState | null> {
    this.#assertOpen();
    return this.#sql(() => sqliteGetProposal(this.#db, id));
  }

  async lastApprovedVersion(target: string): Promise<number | null> {
    this.#assertOpen();
    return this.#sql(() => sqliteLastApprovedVersion(this.#db, target));
  }

  async decideApproval<T>(
    id: string,
    kids: readonly string[],
    decide: MultisigDecider<T>,
  ): Promise<T | null> {
    this.#assertOpen();
    return this.#writes.run(() => this.#sql(() => sqliteDecideApproval(this.#db, id, kids, decide)));
  }

  async addCheckpoint(record: CheckpointRecord): Promise<CheckpointRecord> {
    this.#assertOpen();
    return this.#writes.run(() => this.#sql(() => sqliteAddCheckpoint(this.#db, record)));
  }

  async latestCheckpoint(): Promise<CheckpointRecord | null> {
    this.#assertOpen();
    return this.#sql(() => sqliteLatestCheckpoint(this.#db));
  }

  close(): Promise<void> {
    // Idempotent; queued writes finish first so a batch in flight still commits or rolls back.
    this.#closing ??= this.#writes.drain().then(async () => {
      await this.#appender?.close();
      try {
        this.#db.close();
      } finally {
        this.#lock?.release();
      }
    });
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreUnavailableError("sqlite store is closed");
  }

  #s(): Statements {
    this.#stmts ??= prepareStatements(this.#db);
    return this.#stmts;
  }

  #sql<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw mapSqliteError(e);
    }
  }
}
