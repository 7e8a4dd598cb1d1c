import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres.js";
import { AUDIT_EVENT_COLUMNS, eventParams } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { AuditEvent, Store } from "../../src/store/store.js";

/**
 * Raw access to audit_events as an attacker with database credentials has it. The append-only
 * triggers (migrations.ts) are dropped first, exactly what such an attacker would do.
 */
export interface Tamper {
  /** Set one column (snake_case) of the row with this seq. */
  update(
    seq: number,
    column: (typeof AUDIT_EVENT_COLUMNS)[number],
    value: string | number | null,
  ): Promise<void>;
  /** Delete the rows with these seqs. */
  remove(seqs: readonly number[]): Promise<void>;
  /** Insert rows verbatim. */
  insert(events: readonly AuditEvent[]): Promise<void>;
  /** Move the audit_head row too, as a careful attacker would (the verifier never reads it). */
  setHead(head: { seq: number; hash: string }): Promise<void>;
}

/** One store under test: a migrated read-write store to write the log, the env the CLI uses to find it. */
export interface DbTarget {
  readonly dir: string;
  readonly store: Store;
  /** DATABASE_URL / SIGNER_DATA_DIR naming the same store, for `signer audit …`. */
  readonly env: Record<string, string>;
  /** Close the writer (releasing SQLite's process lock) and return raw access with triggers dropped. */
  tamper(): Promise<Tamper>;
  close(): Promise<void>;
}

/** A store kind and how to make a fresh target of it; `skip` when it cannot run here. */
export interface TargetKind {
  readonly name: "sqlite" | "postgres";
  readonly skip?: string;
  create(): Promise<DbTarget>;
}

const QUOTED_COLUMNS = AUDIT_EVENT_COLUMNS.join(", ");

function sqliteKind(): TargetKind {
  return {
    name: "sqlite",
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "audit-verify-"));
      const path = join(dir, "signer.db");
      const store = openSqliteStore(path);
      await store.migrate();
      let raw: Database.Database | undefined;
      return {
        dir,
        store,
        env: { SIGNER_DATA_DIR: dir },
        async tamper() {
          await store.close();
          const db = new Database(path);
          raw = db;
          db.exec("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
          return {
            async update(seq, column, value) {
              db.prepare(`UPDATE audit_events SET ${column} = ? WHERE seq = ?`).run(value, seq);
            },
            async remove(seqs) {
              for (const seq of seqs) db.prepare("DELETE FROM audit_events WHERE seq = ?").run(seq);
            },
            async insert(events) {
              const marks = AUDIT_EVENT_COLUMNS.map(() => "?").join(", ");
              const stmt = db.prepare(`INSERT INTO audit_events (${QUOTED_COLUMNS}) VALUES (${marks})`);
              for (const e of events) stmt.run(...eventParams(e));
            },
            async setHead(head) {
              db.prepare("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1").run(head.seq, head.hash);
            },
          };
        },
        async close() {
          raw?.close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgresKind(url: string): TargetKind {
  // One schema per target, as in signer/test/store: parallel files and runs never share rows.
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  after(() => admin.end());
  return {
    name: "postgres",
    async create() {
      const schema = `av_${randomBytes(6).toString("hex")}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      const dir = mkdtempSync(join(tmpdir(), "audit-verify-pg-"));
      const store = openPostgresStore(url, { schema, poolSize: 4 });
      await store.migrate();
      const dbUrl = new URL(url);
      dbUrl.searchParams.set("options", `-c search_path=${schema}`);
      const t = `${schema}.audit_events`;
      return {
        dir,
        store,
        env: { SIGNER_DATA_DIR: dir, DATABASE_URL: dbUrl.toString() },
        async tamper() {
          await store.close();
          await admin.query(`DROP TRIGGER audit_events_no_update_delete ON ${t}`);
          await admin.query(`DROP TRIGGER audit_events_no_truncate ON ${t}`);
          return {
            async update(seq, column, value) {
              await admin.query(`UPDATE ${t} SET ${column} = $1 WHERE seq = $2`, [value, seq]);
            },
            async remove(seqs) {
              await admin.query(`DELETE FROM ${t} WHERE seq = ANY($1::bigint[])`, [seqs]);
            },
            async insert(events) {
              for (const e of events) {
                const marks = AUDIT_EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ");
                await admin.query(`INSERT INTO ${t} (${QUOTED_COLUMNS}) VALUES (${marks})`, eventParams(e));
              }
            },
            async setHead(head) {
              await admin.query(`UPDATE ${schema}.audit_head SET seq = $1, hash = $2 WHERE id = 1`, [
                head.seq,
                head.hash,
              ]);
            },
          };
        },
        async close() {
          await store.close();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/**
 * SQLite always; PostgreSQL from PG_TEST_URL. Without it the PG suite is skipped with a reason,
 * unless REQUIRE_INTEGRATION=1, which turns the absence into a failing test.
 */
export function targetKinds(): TargetKind[] {
  const url = process.env.PG_TEST_URL;
  if (url !== undefined && url !== "") return [sqliteKind(), postgresKind(url)];
  if (process.env.REQUIRE_INTEGRATION === "1") {
    test("PG_TEST_URL is set (REQUIRE_INTEGRATION=1)", () => {
      assert.fail("REQUIRE_INTEGRATION=1 but PG_TEST_URL is not set; the PostgreSQL audit suite cannot run");
    });
  }
  const skipped: TargetKind = {
    name: "postgres",
    skip: "PG_TEST_URL not set; .ci/run sets it",
    create: () => Promise.reject(new Error("skipped")),
  };
  return [sqliteKind(), skipped];
}

/** Open a fresh target, run `fn`, always clean up. */
export async function withTarget(kind: TargetKind, fn: (t: DbTarget) => Promise<void>): Promise<void> {
  const target = await kind.create();
  try {
    await fn(target);
  } finally {
    await target.close();
  }
}
