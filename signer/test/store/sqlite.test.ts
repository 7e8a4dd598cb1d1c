import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { eventParams } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { StoreLockedError } from "../../src/store/sqlite-lock.js";
import { StoreUnavailableError } from "../../src/store/store.js";
import { runStoreConformance } from "./conformance.js";
import { assertContiguousChain } from "./conformance-audit.js";
import { continueChain, makeKey, sleep } from "./fixtures.js";

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "signer-store-"));
  dirs.push(dir);
  return join(dir, "signer.db");
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

runStoreConformance("sqlite", async () => openSqliteStore(tempDb()));

function writeLock(db: string, owner: object): string {
  const lockPath = `${db}.lock`;
  writeFileSync(lockPath, JSON.stringify(owner));
  return lockPath;
}

async function spawnHolder(db: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL("./hold-lock.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", script, db], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`holder exited early with ${code}`)));
    child.stdout?.once("data", () => resolve());
  });
  return child;
}

describe("sqlite store specifics", () => {
  test("WAL, synchronous=FULL, busy_timeout and foreign keys are set on the connection", async () => {
    const store = openSqliteStore(tempDb());
    try {
      assert.deepEqual(store.pragmas(), {
        journalMode: "wal",
        synchronous: 2,
        busyTimeout: 5000,
        foreignKeys: 1,
      });
    } finally {
      await store.close();
    }
  });

  test("a second writer process is refused with the holder's pid; a crashed holder's lock is taken over", async () => {
    const db = tempDb();
    const child = await spawnHolder(db);
    try {
      assert.throws(
        () => openSqliteStore(db),
        (e: unknown) =>
          e instanceof StoreLockedError &&
          e instanceof StoreUnavailableError &&
          e.message.includes(`pid ${child.pid}`) &&
          e.message.includes(`${db}.lock`),
      );
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    // SIGKILL left the lock file behind; its pid is dead, so we take over.
    assert.ok(existsSync(`${db}.lock`));
    const store = openSqliteStore(db);
    assert.equal(JSON.parse(readFileSync(`${db}.lock`, "utf8")).pid, process.pid);
    await store.close();
  });

  test("a second writer in the same process is refused", async () => {
    const db = tempDb();
    const first = openSqliteStore(db);
    try {
      assert.throws(() => openSqliteStore(db), new RegExp(`pid ${process.pid}\\b`));
    } finally {
      await first.close();
    }
  });

  test("a stale lock (dead pid) is taken over and removed on close", async () => {
    const db = tempDb();
    const lockPath = writeLock(db, {
      pid: 2147483646,
      hostname: hostname(),
      startedAt: "2020-01-01T00:00:00Z",
    });
    const store = openSqliteStore(db);
    const owner = JSON.parse(readFileSync(lockPath, "utf8"));
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.hostname, hostname());
    assert.equal(typeof owner.startedAt, "string");
    await store.close();
    assert.equal(existsSync(lockPath), false);
  });

  test("a lock naming our own pid from a previous incarnation (container restart) is taken over", async () => {
    const db = tempDb();
    writeLock(db, { pid: process.pid, hostname: hostname(), startedAt: "2020-01-01T00:00:00Z" });
    const store = openSqliteStore(db);
    await store.close();
  });

  test("a lock from another host is honoured while its heartbeat is fresh, taken over once stale", async () => {
    const db = tempDb();
    const lockPath = writeLock(db, {
      pid: 4242,
      hostname: "other-host.example",
      startedAt: "2025-01-01T00:00:00Z",
    });
    assert.throws(() => openSqliteStore(db), /pid 4242 on other-host\.example/);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockPath, old, old);
    const store = openSqliteStore(db);
    await store.close();
  });

  test("a read-only open works while the writer holds the lock, and cannot write", async () => {
    const db = tempDb();
    const writer = openSqliteStore(db);
    await writer.migrate();
    await writer.registerKey(makeKey("k1"));
    await writer.appendAuditBatch(async (head) => continueChain(head, 3));
    const reader = openSqliteStore(db, { readonly: true });
    try {
      await reader.migrate();
      assert.deepEqual(await reader.listKeys(), [makeKey("k1")]);
      await assertContiguousChain(reader, 3);
      await assert.rejects(reader.registerKey(makeKey("k2")), StoreUnavailableError);
      await assert.rejects(
        reader.appendAuditBatch(async (h) => continueChain(h, 1)),
        StoreUnavailableError,
      );
      // The writer keeps going while the reader is open.
      await writer.appendAuditBatch(async (head) => continueChain(head, 1));
      await assertContiguousChain(reader, 4);
    } finally {
      await reader.close();
    }
    assert.equal(
      JSON.parse(readFileSync(`${db}.lock`, "utf8")).pid,
      process.pid,
      "reader left the lock alone",
    );
    await writer.close();
  });

  test("a read-only open of a missing or unmigrated database is StoreUnavailableError", async () => {
    assert.throws(() => openSqliteStore(tempDb(), { readonly: true }), StoreUnavailableError);
    const db = tempDb();
    new Database(db).close();
    const reader = openSqliteStore(db, { readonly: true });
    await assert.rejects(reader.migrate(), /missing migration 1/);
    await reader.close();
  });

  test("data survives close and reopen", async () => {
    const db = tempDb();
    const first = openSqliteStore(db);
    await first.migrate();
    await first.appendAuditBatch(async (head) => continueChain(head, 2));
    await first.close();
    const second = openSqliteStore(db);
    await second.migrate();
    await second.appendAuditBatch(async (head) => continueChain(head, 1));
    await assertContiguousChain(second, 3);
    await second.close();
  });

  test("audit_events is append-only even through a raw connection", async () => {
    const db = tempDb();
    const store = openSqliteStore(db);
    await store.migrate();
    await store.appendAuditBatch(async (head) => continueChain(head, 2));
    const raw = new Database(db);
    try {
      assert.throws(
        () => raw.prepare("UPDATE audit_events SET result = 'forged' WHERE seq = 0").run(),
        /append-only/,
      );
      assert.throws(() => raw.prepare("DELETE FROM audit_events").run(), /append-only/);
    } finally {
      raw.close();
    }
    await assertContiguousChain(store, 2);
    await store.close();
  });

  test("migration 5 rebuilds a version-4 log without the hash index and keeps every event", async () => {
    const db = tempDb();
    const raw = new Database(db);
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) raw.exec(m.sqlite);
    raw.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      raw
        .prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)")
        .run(m.version, m.name, "2026-01-01T00:00:00Z");
    }
    const events = continueChain(null, 3);
    const insert = raw.prepare("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const e of events) insert.run(...eventParams(e));
    raw.prepare("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1").run(2, events[2]!.hash);
    const uniqueIndexes = () =>
      (raw.prepare("PRAGMA index_list(audit_events)").all() as Array<{ unique: number }>).filter(
        (i) => i.unique,
      );
    assert.equal(uniqueIndexes().length, 1, "version 4 has the UNIQUE index on hash");
    raw.close();

    const store = openSqliteStore(db);
    await store.migrate();
    assert.deepEqual(await store.readAuditEvents(0, 10), events);
    await store.appendAuditBatch(async (head) => continueChain(head, 2));
    await assertContiguousChain(store, 5);
    const after = new Database(db);
    try {
      assert.equal(
        (after.prepare("PRAGMA index_list(audit_events)").all() as Array<{ unique: number }>).filter(
          (i) => i.unique,
        ).length,
        0,
      );
      assert.throws(() => after.prepare("DELETE FROM audit_events").run(), /append-only/);
      assert.throws(() => after.prepare("UPDATE audit_events SET result = 'x'").run(), /append-only/);
      assert.deepEqual(
        after.prepare("SELECT version FROM schema_migrations ORDER BY version").all(),
        MIGRATIONS.map((m) => ({ version: m.version })),
      );
    } finally {
      after.close();
    }
    await store.close();
  });

  test("a key registered while an append awaits its builder survives that append's rollback", async () => {
    const store = openSqliteStore(tempDb());
    await store.migrate();
    const failing = store.appendAuditBatch(async () => {
      await sleep(20);
      throw new Error("seal failed");
    });
    const registered = store.registerKey(makeKey("k1"));
    await assert.rejects(failing, /seal failed/);
    await registered;
    assert.deepEqual(await store.getKey("k1"), makeKey("k1"));
    await store.close();
  });
});
