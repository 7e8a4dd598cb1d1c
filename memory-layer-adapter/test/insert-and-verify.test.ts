// insertAuditEvent and verifyAuditChain against PostgreSQL, with a local fake signer (the real
// proxy over mTLS is test/e2e/memory-layer-adapter.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SigningProxyError } from "@signing-proxy/client-sdk";
import pg from "pg";
import { createPgSchema, type PgSchema, withPostgres } from "../../test/helpers/process-fixture.js";
import {
  AuditSignError,
  GENESIS_HASH,
  insertAuditEvent,
  migrate,
  recordHash,
  SignFailureCounter,
  verifyAuditChain,
} from "../src/index.js";
import { fakeSigner } from "./fake-signer.js";

withPostgres("memory layer adapter (PostgreSQL)", (pgUrl) => {
  describe("memory layer adapter (PostgreSQL)", { timeout: 30_000 }, () => {
    let schema: PgSchema;
    let pool: pg.Pool;
    const signer = fakeSigner();
    const rows = async () => Number((await pool.query("SELECT count(*) AS n FROM audit_events")).rows[0].n);
    const head = async () => (await pool.query("SELECT last_id, hash FROM audit_chain_head")).rows[0];

    before(async () => {
      schema = await createPgSchema(pgUrl);
      pool = new pg.Pool({ connectionString: schema.url, max: 10 });
    });
    after(async () => {
      await pool.end();
      await schema.drop();
    });

    test("migrate: concurrent first runs apply version 1 once; later runs apply nothing", async () => {
      const results = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
      assert.deepEqual(results.flat(), [1]);
      assert.deepEqual(await migrate(pool), []);
      assert.deepEqual(await head(), { last_id: null, hash: GENESIS_HASH });
    });

    test("one insert: the row, its documented hash, a signature over it; the chain verifies", async () => {
      const createdAt = new Date("2025-02-03T04:05:06.789Z");
      const row = await insertAuditEvent(
        pool,
        { eventType: "memory.write", payload: { b: 1, a: [true, null] }, manifestSignatureId: "ms-1" },
        { signer, now: () => createdAt },
      );
      assert.equal(row.prevHash, GENESIS_HASH);
      assert.equal(row.createdAt, "2025-02-03T04:05:06.789Z");
      assert.equal(row.signerKid, signer.kid);
      // The hashed record is exactly these five members, canonicalized (RFC 8785).
      const expected = recordHash({
        eventType: "memory.write",
        payload: { a: [true, null], b: 1 },
        prevHash: GENESIS_HASH,
        createdAt: "2025-02-03T04:05:06.789Z",
        manifestSignatureId: "ms-1",
      });
      assert.equal(row.hash, expected);
      assert.deepEqual(await head(), { last_id: String(row.id), hash: row.hash });
      assert.deepEqual(await verifyAuditChain(pool, { keys: signer.keys }), { ok: true, count: 1 });
    });

    test("a pg Client (not a Pool) works too", async () => {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        await insertAuditEvent(client, { eventType: "client", payload: 1 }, { signer });
        assert.equal((await verifyAuditChain(client, { keys: signer.keys })).ok, true);
      } finally {
        await client.end();
      }
    });

    test("signing fails → the transaction rolls back: no row, head unchanged, failure counted", async () => {
      const before = { rows: await rows(), head: await head() };
      const counter = new SignFailureCounter();
      const failures = [
        [new SigningProxyError("ERR_AUDIT_UNAVAILABLE", "x", { status: 503 }), "unavailable"],
        [new SigningProxyError("ERR_CONNECTION", "x"), "unavailable"],
        [new SigningProxyError("ERR_FORBIDDEN", "x", { status: 403 }), "refused"],
        [new SigningProxyError("ERR_UNEXPECTED_RESPONSE", "x"), "invalid_response"],
        [new Error("boom"), "error"],
      ] as const;
      for (const [error, reason] of failures) {
        signer.failWith = error;
        const err = await insertAuditEvent(
          pool,
          { eventType: "e", payload: {} },
          { signer, signFailures: counter },
        ).catch((e: unknown) => e);
        assert.ok(err instanceof AuditSignError);
        assert.equal(err.reason, reason);
        assert.equal(err.cause, error);
      }
      signer.failWith = undefined;
      assert.equal(counter.value(), 5);
      assert.equal(counter.value("unavailable"), 2);
      assert.deepEqual({ rows: await rows(), head: await head() }, before, "no unsigned row, head untouched");
      const after = await insertAuditEvent(pool, { eventType: "e", payload: {} }, { signer });
      assert.equal(after.prevHash, before.head.hash, "the next event links to the last committed one");
    });

    test("a signature over another digest is never stored", async () => {
      const before = await rows();
      const liar = {
        ...signer,
        signAuditDigest: async (d: string) => ({
          ...(await signer.signAuditDigest(d)),
          digestHex: "00".repeat(32),
        }),
      };
      await assert.rejects(insertAuditEvent(pool, { eventType: "e", payload: 1 }, { signer: liar }), {
        reason: "invalid_response",
      });
      assert.equal(await rows(), before);
    });

    test("bad input is refused before any signing: U+0000, no canonical form, bad eventType", async () => {
      const calls = signer.calls;
      const bad: Array<[Parameters<typeof insertAuditEvent>[1], RegExp | { name: string }]> = [
        [{ eventType: "e", payload: { "a\u0000": 1 } }, /U\+0000/],
        [{ eventType: "e", payload: ["x\u0000y"] }, /U\+0000/],
        [{ eventType: "e", payload: { n: Number.NaN } }, { name: "CanonicalizationError" }],
        [{ eventType: "e", payload: { d: new Date() } }, { name: "CanonicalizationError" }],
        [{ eventType: "e", payload: "\ud800" }, { name: "CanonicalizationError" }],
        [{ eventType: "", payload: 1 }, /eventType/],
        [{ eventType: "e".repeat(257), payload: 1 }, /eventType/],
        [{ eventType: "e", payload: undefined }, /payload/],
        [{ eventType: "e", payload: 1, manifestSignatureId: "" }, /manifestSignatureId/],
      ];
      for (const [event, expected] of bad)
        await assert.rejects(insertAuditEvent(pool, event, { signer }), expected);
      assert.equal(signer.calls, calls);
    });

    test("8 concurrent writers form one linear chain in id order", async () => {
      await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 25; i++)
              await insertAuditEvent(pool, { eventType: "w", payload: { w, i } }, { signer });
          })(),
        ),
      );
      const report = await verifyAuditChain(pool, { keys: signer.keys });
      assert.deepEqual(report, { ok: true, count: await rows() });
    });

    test("audit_events is append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
      for (const sql of [
        "UPDATE audit_events SET event_type = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
      ]) {
        await assert.rejects(pool.query(sql), /append-only/, sql);
      }
    });

    test("keys: an unknown kid, a revoked key, another alg and an HMAC key are each named", async () => {
      const first = (await pool.query("SELECT min(id) AS id FROM audit_events")).rows[0].id as string;
      const entry = signer.keys.signers[0]!;
      const cases: Array<[unknown, RegExp]> = [
        [{ signers: [] }, /is not a published key/],
        [{ signers: [{ ...entry, status: "revoked" }] }, /is revoked/],
        [{ signers: [{ ...entry, algorithm: "ecdsa-sha256" }] }, /does not match the key's ecdsa-sha256/],
        [{ signers: [{ ...entry, algorithm: "hmac-sha256", public_key_pem: undefined }] }, /does not match/],
        [
          { signers: [{ ...entry, public_key_pem: fakeSigner().keys.signers[0]!.public_key_pem }] },
          /does not verify/,
        ],
      ];
      for (const [keys, reason] of cases) {
        const report = await verifyAuditChain(pool, { keys: keys as typeof signer.keys });
        assert.equal(report.ok, false);
        assert.equal(report.firstBad?.id, Number(first));
        assert.match(report.firstBad?.reason ?? "", reason);
      }
      // A retired key still verifies: it signs nothing new, but its old signatures stand.
      assert.equal(
        (await verifyAuditChain(pool, { keys: { signers: [{ ...entry, status: "retired" }] } })).ok,
        true,
      );
    });

    test("rows past the chain head, or a head past the rows, are named", async () => {
      const before = await head();
      const row = await insertAuditEvent(pool, { eventType: "x", payload: 1 }, { signer });
      // Move the head back: as if the row had been appended with plain SQL, bypassing the lock.
      await pool.query("UPDATE audit_chain_head SET last_id = $1, hash = $2", [before.last_id, before.hash]);
      const extra = await verifyAuditChain(pool, { keys: signer.keys });
      assert.equal(extra.firstBad?.id, row.id);
      assert.match(extra.firstBad?.reason ?? "", /after the chain head/);
      // And a head naming a row that is not there: rows were removed from the end.
      await pool.query("UPDATE audit_chain_head SET last_id = $1, hash = $2", [row.id + 5, "ab".repeat(32)]);
      const missing = await verifyAuditChain(pool, { keys: signer.keys });
      assert.deepEqual(missing.firstBad, {
        id: row.id + 5,
        reason: `the chain head names row ${row.id + 5} but the table ends at row ${row.id}: rows were removed`,
      });
      await pool.query("UPDATE audit_chain_head SET last_id = $1, hash = $2", [row.id, row.hash]);
      assert.equal((await verifyAuditChain(pool, { keys: signer.keys })).ok, true);
    });
  });
});
