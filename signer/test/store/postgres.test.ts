import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import pg from "pg";
import { withPostgres } from "../../../test/helpers/postgres.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../../src/store/migrations.js";
import { openPostgresStore, type PostgresStoreOptions } from "../../src/store/postgres.js";
import { eventParams } from "../../src/store/rows.js";
import { type AuditHead, StoreUnavailableError } from "../../src/store/store.js";
import { runStoreConformance } from "./conformance.js";
import { assertContiguousChain } from "./conformance-audit.js";
import { continueChain, makeKey, sleep } from "./fixtures.js";

withPostgres("postgres store", postgresSuite);

function postgresSuite(url: string): void {
  // Every store gets its own schema so parallel test files and runs never see each other's rows.
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas: string[] = [];
  async function freshSchema(): Promise<string> {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    return schema;
  }
  const openIn = (schema: string, opts: PostgresStoreOptions = {}) =>
    openPostgresStore(url, { schema, poolSize: 4, applicationName: schema, ...opts });

  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  runStoreConformance("postgres", async () => openIn(await freshSchema()));

  describe("postgres store specifics", () => {
    test("two stores (two pools, as two replicas) appending concurrently form one chain", async () => {
      const schema = await freshSchema();
      const a = openIn(schema);
      const b = openIn(schema);
      try {
        await Promise.all([a.migrate(), b.migrate()]);
        const appends = Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).appendAuditBatch(async (head) => {
            await sleep(Math.floor(Math.random() * 3));
            return continueChain(head, (i % 3) + 1);
          }),
        );
        await Promise.all(appends);
        await assertContiguousChain(a, 60);
        assert.deepEqual(await b.auditHead(), await a.auditHead());
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test("replicas migrating the same schema at once apply each version exactly once", async () => {
      const schema = await freshSchema();
      const stores = Array.from({ length: 4 }, () => openIn(schema));
      try {
        await Promise.all(stores.map((s) => s.migrate()));
        const r = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
        assert.deepEqual(
          r.rows.map((row) => row.version),
          Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test("an idle connection killed by the server does not crash the process", async () => {
      const schema = await freshSchema();
      const poolErrors: Error[] = [];
      const store = openIn(schema, { onPoolError: (e) => poolErrors.push(e) });
      try {
        await store.migrate();
        await store.ping();
        const killed = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [schema],
        );
        assert.ok(killed.rowCount !== null && killed.rowCount > 0);
        await sleep(100);
        assert.ok(poolErrors.length > 0, "the pool reported the dead idle client");
        await store.ping();
        assert.equal(await store.auditHead(), null);
      } finally {
        await store.close();
      }
    });

    test("a connection lost while the builder runs fails the batch as unavailable and writes nothing", async () => {
      const schema = await freshSchema();
      const store = openIn(schema, { poolSize: 2 });
      try {
        await store.migrate();
        // Written by another store, so this one's first append takes the locking transaction.
        const other = openIn(schema);
        await other.appendAuditBatch(async (head) => continueChain(head, 1));
        await other.close();
        const lost = store.appendAuditBatch(async (head) => {
          // The head row is locked by this transaction; kill its backend from outside.
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
            [schema],
          );
          await sleep(50);
          return continueChain(head, 2);
        });
        await assert.rejects(lost, StoreUnavailableError);
        await assertContiguousChain(store, 1);
        await store.appendAuditBatch(async (head) => continueChain(head, 1));
        await assertContiguousChain(store, 2);
      } finally {
        await store.close();
      }
    });

    test("one-statement appends: built once on the own last head, rebuilt on the locked head after another writer", async () => {
      const schema = await freshSchema();
      const a = openIn(schema);
      const b = openIn(schema);
      const heads: Array<number | null> = [];
      const build = async (head: AuditHead | null) => {
        heads.push(head?.seq ?? null);
        return continueChain(head, 2);
      };
      try {
        await a.migrate();
        await a.appendAuditBatch(build); // locking path: seqs 0-1
        await a.appendAuditBatch(build); // one statement on its own head: 2-3
        assert.deepEqual(heads, [null, 1]);
        await b.appendAuditBatch(async (head) => continueChain(head, 1)); // another replica: 4
        heads.length = 0;
        await a.appendAuditBatch(build); // built on 3, the head moved to 4: rebuilt on 4 → 5-6
        assert.deepEqual(heads, [3, 4]);
        await assertContiguousChain(a, 7);
        assert.deepEqual(await b.auditHead(), await a.auditHead());
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test("an unreachable server is StoreUnavailableError", async () => {
      const bad = new URL(url);
      bad.port = "1";
      const store = openPostgresStore(bad.toString(), { connectionTimeoutMs: 1000 });
      try {
        await assert.rejects(store.ping(), StoreUnavailableError);
        await assert.rejects(store.migrate(), StoreUnavailableError);
        await assert.rejects(
          store.appendAuditBatch(async (h) => continueChain(h, 1)),
          StoreUnavailableError,
        );
      } finally {
        await store.close();
      }
    });

    test("migration 5 drops the hash constraint of a version-4 log and keeps every event", async () => {
      const schema = await freshSchema();
      const client = await admin.connect();
      const events = continueChain(null, 3);
      try {
        await client.query(`SET search_path = ${schema}`);
        for (const m of MIGRATIONS.filter((x) => x.version <= 4)) await client.query(m.postgres);
        await client.query(
          "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        );
        for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
          await client.query("INSERT INTO schema_migrations VALUES ($1, $2, $3)", [
            m.version,
            m.name,
            "2026-01-01",
          ]);
        }
        for (const e of events) {
          await client.query(
            "INSERT INTO audit_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            eventParams(e),
          );
        }
        await client.query("UPDATE audit_head SET seq = 2, hash = $1 WHERE id = 1", [events[2]!.hash]);
      } finally {
        await client.query("RESET search_path");
        client.release();
      }
      const uniques = async () =>
        (
          await admin.query(
            `SELECT conname FROM pg_constraint WHERE conrelid = '${schema}.audit_events'::regclass AND contype = 'u'`,
          )
        ).rows.length;
      assert.equal(await uniques(), 1, "version 4 has the UNIQUE constraint on hash");
      const store = openIn(schema);
      try {
        await store.migrate();
        assert.equal(await uniques(), 0);
        assert.deepEqual(await store.readAuditEvents(0, 10), events);
        await store.appendAuditBatch(async (head) => continueChain(head, 2));
        await assertContiguousChain(store, 5);
      } finally {
        await store.close();
      }
    });

    test("audit_events is append-only even through a raw connection", async () => {
      const schema = await freshSchema();
      const store = openIn(schema);
      try {
        await store.migrate();
        await store.appendAuditBatch(async (head) => continueChain(head, 2));
        for (const sql of [
          `UPDATE ${schema}.audit_events SET result = 'forged' WHERE seq = 0`,
          `DELETE FROM ${schema}.audit_events`,
          `TRUNCATE ${schema}.audit_events`,
        ]) {
          await assert.rejects(admin.query(sql), /append-only/, sql);
        }
        await assertContiguousChain(store, 2);
      } finally {
        await store.close();
      }
    });

    test("a read-only store reads but cannot write", async () => {
      const schema = await freshSchema();
      const writer = openIn(schema);
      const reader = openIn(schema, { readonly: true });
      try {
        await assert.rejects(reader.migrate(), /missing migration 1/);
        await writer.migrate();
        await writer.registerKey(makeKey("k1"));
        await writer.appendAuditBatch(async (head) => continueChain(head, 2));
        await reader.migrate();
        assert.deepEqual(await reader.listKeys(), [makeKey("k1")]);
        await assertContiguousChain(reader, 2);
        await assert.rejects(reader.registerKey(makeKey("k2")), StoreUnavailableError);
        await assert.rejects(
          reader.appendAuditBatch(async (h) => continueChain(h, 1)),
          StoreUnavailableError,
        );
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    test("a schema name that could inject startup options is refused", () => {
      assert.throws(
        () => openPostgresStore(url, { schema: "x -c default_transaction_read_only=off" }),
        RangeError,
      );
    });
  });
}
