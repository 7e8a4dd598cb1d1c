// The Memory Layer integration end to end: a real `signer serve` process over mTLS, a real
// PostgreSQL. Concurrent writers, a proxy that dies and comes back, and tampering that must be named.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type SignersDocument, SigningProxyClient } from "@signing-proxy/client-sdk";
import pg from "pg";
import {
  type AuditChainReport,
  AuditSignError,
  getAuditHealth,
  insertAuditEvent,
  migrate,
  SignFailureCounter,
  verifyAuditChain,
} from "../../memory-layer-adapter/src/index.js";
import {
  createPgSchema,
  createSignerSetup,
  type PgSchema,
  type SignerProcess,
  type SignerSetup,
  withPostgres,
} from "../helpers/process-fixture.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `writers` loops of `each` inserts at once, alternating between two pools — two "replicas" whose
 * transactions contend for the chain head lock; resolves with the ids written.
 */
async function writeConcurrently(
  pools: readonly [pg.Pool, pg.Pool],
  signer: SigningProxyClient,
  writers: number,
  each: number,
): Promise<number[]> {
  const ids: number[] = [];
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < each; i++) {
        const row = await insertAuditEvent(
          pools[w % 2]!,
          { eventType: "memory.write", payload: { writer: w, i, note: "é €", score: i / 7 } },
          { signer },
        );
        ids.push(row.id);
      }
    }),
  );
  return ids;
}

withPostgres("Memory Layer adapter end to end", (pgUrl) => {
  describe("Memory Layer adapter end to end (signer process, PostgreSQL)", { timeout: 120_000 }, () => {
    let schema: PgSchema;
    let pool: pg.Pool;
    let replica: pg.Pool;
    let setup: SignerSetup;
    let proxy: SignerProcess;
    let port: number;
    let signer: SigningProxyClient;
    let keys: SignersDocument;
    const rowCount = async () =>
      Number((await pool.query("SELECT count(*) AS n FROM audit_events")).rows[0].n);
    const verify = (): Promise<AuditChainReport> => verifyAuditChain(pool, { keys });

    before(async () => {
      schema = await createPgSchema(pgUrl);
      pool = new pg.Pool({ connectionString: schema.url, max: 10 });
      replica = new pg.Pool({ connectionString: schema.url, max: 4 });
      await migrate(pool);
      setup = await createSignerSetup();
      port = await freePort();
      proxy = await setup.start({ PORT: String(port) });
      const certs = join(setup.dir, "certs");
      signer = new SigningProxyClient({
        url: proxy.url,
        ca: setup.ca,
        cert: readFileSync(join(certs, "memory-layer.crt")),
        key: readFileSync(join(certs, "memory-layer.key")),
        timeoutMs: 5000,
        retries: { retries: 1, baseDelayMs: 20, maxDelayMs: 50, maxRetryAfterMs: 200 },
      });
      keys = await signer.getKeys();
    });
    after(async () => {
      await signer?.close();
      await setup?.close();
      await pool?.end();
      await replica?.end();
      await schema?.drop();
    });

    test("8 concurrent writers on two pools insert 2,000 events; verifyAuditChain passes", async () => {
      const ids = await writeConcurrently([pool, replica], signer, 8, 250);
      assert.equal(new Set(ids).size, 2000);
      assert.deepEqual(await verify(), { ok: true, count: 2000 });
      assert.deepEqual(await getAuditHealth({ signer }), {
        ok: true,
        detail: "signing proxy reachable over mTLS; 2 active key(s)",
      });
    });

    test("proxy killed mid-write and while stopped: inserts fail, no row appears; after restart they resume", async () => {
      const failures = new SignFailureCounter();
      let written = 0;
      // Writers run until their first failure; the proxy dies under them.
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; ; i++) {
          try {
            await insertAuditEvent(
              pool,
              { eventType: "crash", payload: { w, i } },
              { signer, signFailures: failures },
            );
            written++;
          } catch (err) {
            assert.ok(err instanceof AuditSignError, String(err));
            return;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await proxy.stop("SIGKILL");
      await Promise.all(writers);
      assert.ok(written > 0, "some events were written before the crash");
      assert.equal(await rowCount(), 2000 + written, "every row written is one that was signed");
      assert.equal((await verify()).ok, true, "the chain holds across the crash");

      const before = await rowCount();
      const head = (await pool.query("SELECT last_id, hash FROM audit_chain_head")).rows[0];
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          insertAuditEvent(pool, { eventType: "down", payload: { i } }, { signer, signFailures: failures }),
        ),
      );
      for (const a of attempts) {
        assert.equal(a.status, "rejected");
        assert.ok(a.reason instanceof AuditSignError && a.reason.reason === "unavailable", String(a.reason));
      }
      assert.equal(await rowCount(), before, "no row while the proxy is down");
      assert.deepEqual((await pool.query("SELECT last_id, hash FROM audit_chain_head")).rows[0], head);
      assert.ok(failures.value("unavailable") >= 16, `${failures.value()} failures counted`);
      assert.deepEqual(await getAuditHealth({ signer }), {
        ok: false,
        detail: "signing proxy unavailable: ERR_CONNECTION",
      });

      proxy = await setup.start({ PORT: String(port) });
      const resumed = await writeConcurrently([pool, replica], signer, 8, 10);
      assert.equal(resumed.length, 80);
      assert.deepEqual(await verify(), { ok: true, count: before + 80 });
      assert.equal((await getAuditHealth({ signer, sign: true })).ok, true);
    });

    describe("tampering with one row is detected and named by id", () => {
      let admin: pg.PoolClient;
      let ids: number[];
      const saved = new Map<number, unknown[]>();
      const COLUMNS =
        "id, event_type, payload::text AS payload, hash, prev_hash, signature, signer_kid, alg, manifest_signature_id, created_at";
      before(async () => {
        admin = await pool.connect();
        // The attacker here owns the table: the append-only triggers do not stop them.
        await admin.query("ALTER TABLE audit_events DISABLE TRIGGER USER");
        ids = (await admin.query("SELECT id FROM audit_events ORDER BY id")).rows.map((r) => Number(r.id));
      });
      after(async () => {
        await admin.query("ALTER TABLE audit_events ENABLE TRIGGER USER");
        admin.release();
        assert.deepEqual(await verify(), { ok: true, count: ids.length }, "every tampering was undone");
      });

      /** Tamper with `sql` ($1 = target id), expect the report, then put the saved row back. */
      async function tamper(id: number, sql: string, expectId: number, reason: RegExp): Promise<void> {
        const row = (await admin.query(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1`, [id])).rows[0];
        saved.set(id, Object.values(row));
        await admin.query(sql, [id]);
        try {
          const report = await verify();
          assert.equal(report.ok, false);
          assert.equal(report.firstBad?.id, expectId, report.firstBad?.reason);
          assert.match(report.firstBad?.reason ?? "", reason);
        } finally {
          await admin.query("DELETE FROM audit_events WHERE id = $1", [id]);
          await admin.query(
            `INSERT INTO audit_events (id, event_type, payload, hash, prev_hash, signature, signer_kid, alg,
               manifest_signature_id, created_at) OVERRIDING SYSTEM VALUE
             VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10)`,
            saved.get(id),
          );
        }
      }

      const mid = () => ids[1000]!;
      const hashAltered = /hash does not match the row's content/;
      test("payload", () =>
        tamper(
          mid(),
          `UPDATE audit_events SET payload = jsonb_set(payload, '{i}', '99') WHERE id = $1`,
          mid(),
          hashAltered,
        ));
      test("event_type, created_at, manifest_signature_id", async () => {
        await tamper(
          mid(),
          "UPDATE audit_events SET event_type = 'memory.delete' WHERE id = $1",
          mid(),
          hashAltered,
        );
        await tamper(
          mid(),
          "UPDATE audit_events SET created_at = created_at + interval '1 ms' WHERE id = $1",
          mid(),
          hashAltered,
        );
        await tamper(
          mid(),
          "UPDATE audit_events SET manifest_signature_id = 'ms-x' WHERE id = $1",
          mid(),
          hashAltered,
        );
      });
      test("hash", () =>
        tamper(mid(), `UPDATE audit_events SET hash = repeat('ab', 32) WHERE id = $1`, mid(), hashAltered));
      test("signature (another row's)", () =>
        tamper(
          mid(),
          `UPDATE audit_events SET signature = (SELECT signature FROM audit_events WHERE id = ${ids[0]}) WHERE id = $1`,
          mid(),
          /signature does not verify/,
        ));
      test("payload with its hash recomputed (no key to re-sign)", async () => {
        const { recordHash } = await import("../../memory-layer-adapter/src/index.js");
        const row = (await admin.query(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1`, [mid()])).rows[0];
        const payload = { ...JSON.parse(row.payload), i: 99 };
        const forged = recordHash({
          eventType: row.event_type,
          payload,
          prevHash: row.prev_hash,
          createdAt: (row.created_at as Date).toISOString(),
          manifestSignatureId: row.manifest_signature_id,
        });
        await tamper(
          mid(),
          `UPDATE audit_events SET payload = '${JSON.stringify(payload)}'::jsonb, hash = '${forged}' WHERE id = $1`,
          mid(),
          /signature does not verify/,
        );
      });
      test("signer_kid (the proxy's other published key)", () =>
        tamper(
          mid(),
          "UPDATE audit_events SET signer_kid = 'k-audit' WHERE id = $1",
          mid(),
          /signature does not verify/,
        ));
      test("a deleted row: the next row's link breaks there", () =>
        tamper(
          mid(),
          "DELETE FROM audit_events WHERE id = $1",
          ids[1001]!,
          new RegExp(`prev_hash does not match the hash of row ${ids[999]}`),
        ));
      test("the deleted last row: the chain head names it", () => {
        const last = ids.at(-1)!;
        return tamper(last, "DELETE FROM audit_events WHERE id = $1", last, /rows were removed/);
      });
    });
  });
});
