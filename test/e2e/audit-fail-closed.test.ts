import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import type pg from "pg";
import { verifyAuditChain } from "../../signer/src/audit/verify-chain.js";
import { sealKeysFromRecords } from "../../signer/src/audit/verify-keys.js";
import { createPgSchema, type PgSchema, withPostgres } from "../helpers/process-fixture.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call, type JsonResponse } from "../helpers/tls-client.js";
import { startTcpProxy, type TcpProxy } from "./audit-tcp-proxy.js";

type Json = Record<string, unknown>;
const digest = () => randomBytes(32).toString("hex");

/** 12 /sign/hash and 4 /sign/batch requests at once. */
function burst(fx: ServiceFixture): Promise<JsonResponse[]> {
  const agent = fx.agent("memory-layer");
  const url = fx.service.url;
  return Promise.all([
    ...Array.from({ length: 12 }, () => call(agent, `${url}/sign/hash`, { body: { digestHex: digest() } })),
    ...Array.from({ length: 4 }, () =>
      call(agent, `${url}/sign/batch`, {
        body: { items: [{ digestHex: digest() }, { digestHex: digest() }] },
      }),
    ),
  ]);
}

/** Fail closed: the error envelope only, never a signature. */
function assertNoSignature(res: JsonResponse): void {
  assert.notEqual(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body as Json), ["error"], res.text);
  assert.doesNotMatch(res.text, /"signature"|"results"/);
}

/** 503 ERR_AUDIT_UNAVAILABLE with Retry-After and no signature. */
function assertAuditUnavailable(res: JsonResponse): void {
  assertNoSignature(res);
  assert.equal(res.status, 503, res.text);
  assert.equal(((res.body as Json).error as Json).code, "ERR_AUDIT_UNAVAILABLE");
  assert.match(String(res.headers["retry-after"]), /^[1-9][0-9]*$/);
}

async function signOk(fx: ServiceFixture): Promise<number> {
  const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
    body: { digestHex: digest() },
  });
  assert.equal(res.status, 200, res.text);
  return (res.body as Json).auditSeq as number;
}

async function assertChainVerifies(fx: ServiceFixture): Promise<number> {
  const { store, registry } = fx.service.deps;
  const head = await store.auditHead();
  const events = await store.readAuditEvents(0, (head?.seq ?? -1) + 1);
  const report = await verifyAuditChain(events, { keys: sealKeysFromRecords(await registry.list()) });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  return events.length;
}

async function auditFailures(fx: ServiceFixture): Promise<number> {
  const text = (await call(undefined, `${fx.service.managementUrl}/metrics`)).text;
  return [...text.matchAll(/^signer_audit_failures_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

/** Outages that every store shares: the audit key cannot seal. */
function auditKeyOutage(getFx: () => ServiceFixture): void {
  for (const status of ["retired", "revoked"] as const) {
    test(`audit key ${status}: 503 ERR_AUDIT_UNAVAILABLE, no signature, nothing logged; resumes once active`, async () => {
      const fx = getFx();
      const before = await signOk(fx);
      const failures = await auditFailures(fx);
      await fx.service.deps.registry.setStatus("k-audit", status);
      try {
        for (const res of await burst(fx)) assertAuditUnavailable(res);
        assert.equal(
          (await fx.service.deps.store.auditHead())?.seq,
          before,
          "no unsealed batch was committed",
        );
        assert.ok((await auditFailures(fx)) > failures, "signer_audit_failures_total counts the refusals");
      } finally {
        await fx.service.deps.registry.setStatus("k-audit", "active");
      }
      assert.equal(await signOk(fx), before + 1, "the refused requests left no events");
      await assertChainVerifies(fx);
    });
  }
}

/**
 * A key revoked in the store behind this process's back (as another replica would): requests that
 * pass the cached "active" status are still refused at commit, audited as refusals, no signature.
 */
function keyRevokedElsewhere(getFx: () => ServiceFixture): void {
  test("a key revoked by another replica after signing: 409 ERR_KEY_NOT_ACTIVE at commit, refusal audited", async () => {
    const fx = getFx();
    const { store } = fx.service.deps;
    const before = await signOk(fx); // the process now holds k-ed25519 as active
    await store.setKeyStatus("k-ed25519", "revoked", new Date().toISOString());
    try {
      const responses = await burst(fx);
      for (const res of responses) {
        if (res.status === 200) {
          // A batch answers per item: every item refused, none signed.
          const results = (res.body as { results: Json[] }).results;
          for (const r of results) assert.equal((r.error as Json).code, "ERR_KEY_NOT_ACTIVE", res.text);
          assert.doesNotMatch(res.text, /"signature"/);
        } else {
          assertNoSignature(res);
          assert.equal(res.status, 409, res.text);
          assert.equal(((res.body as Json).error as Json).code, "ERR_KEY_NOT_ACTIVE");
        }
      }
      const head = await store.auditHead();
      const events = await store.readAuditEvents(before + 1, (head?.seq ?? 0) - before);
      assert.equal(events.length, 12 + 4 * 2, "every refused signature has its event");
      for (const e of events) {
        assert.equal(e.result, "refused:ERR_KEY_NOT_ACTIVE");
        assert.equal(e.alg, null);
      }
    } finally {
      await store.setKeyStatus("k-ed25519", "active", new Date().toISOString());
    }
    await signOk(fx);
    await assertChainVerifies(fx);
  });
}

describe("fail closed (SQLite)", { timeout: 30_000 }, () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx.close());

  test("a write failing inside the audit transaction: 503, no signature, the batch rolled back; resumes after", async () => {
    const before = await signOk(fx);
    // A second connection changes the schema under the service: the head update after the
    // events' INSERTs fails, so the whole batch has to roll back.
    const raw = new Database(join(fx.dir, "data", "signer.db"));
    try {
      raw.exec(
        `CREATE TRIGGER e2e_fail BEFORE UPDATE ON audit_head BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`,
      );
      for (const res of await burst(fx)) assertAuditUnavailable(res);
      assert.equal((await fx.service.deps.store.auditHead())?.seq, before);
      const count = raw.prepare("SELECT count(*) AS n FROM audit_events").get() as { n: number };
      assert.equal(count.n, before + 1, "no event of a failed batch remains");
      raw.exec("DROP TRIGGER e2e_fail");
    } finally {
      raw.close();
    }
    assert.equal(await signOk(fx), before + 1);
    await assertChainVerifies(fx);
  });

  auditKeyOutage(() => fx);
  keyRevokedElsewhere(() => fx);

  // Last: the store stays closed for the rest of this fixture.
  test("the store closed under the service: no signature is released", async () => {
    await fx.service.deps.store.close();
    for (const res of await burst(fx)) assertNoSignature(res);
  });

  test("the store closed under the service: 503 with Retry-After", async () => {
    for (const res of await burst(fx)) {
      assert.equal(res.status, 503, res.text);
      assert.match(String(res.headers["retry-after"]), /^[1-9][0-9]*$/);
    }
  });
});

withPostgres("fail closed (PostgreSQL)", (pgUrl) => {
  describe("fail closed (PostgreSQL)", { timeout: 30_000 }, () => {
    let pgSchema: PgSchema;
    let proxy: TcpProxy;
    let fx: ServiceFixture;
    before(async () => {
      // A short lock_timeout turns a held head lock into a failed append instead of a wait.
      pgSchema = await createPgSchema(pgUrl, { lock_timeout: "300" });
      const upstream = new URL(pgSchema.url);
      proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 5432));
      const viaProxy = new URL(pgSchema.url);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(proxy.port);
      fx = await startFixture({ env: { DATABASE_URL: viaProxy.toString() } });
    });
    after(async () => {
      await fx?.close();
      await proxy?.close();
      await pgSchema?.drop();
    });

    test("the audit head locked by another session: 503, no signature; resumes when released", async () => {
      const before = await signOk(fx);
      const locker: pg.PoolClient = await pgSchema.admin.connect();
      try {
        await locker.query("BEGIN");
        await locker.query(`LOCK TABLE ${pgSchema.schema}.audit_head IN ACCESS EXCLUSIVE MODE`);
        for (const res of await burst(fx)) assertAuditUnavailable(res);
        await locker.query("ROLLBACK");
      } finally {
        locker.release();
      }
      assert.equal(await signOk(fx), before + 1, "the refused requests left no events");
      await assertChainVerifies(fx);
    });

    auditKeyOutage(() => fx);
    keyRevokedElsewhere(() => fx);

    test("the database unreachable: no signature is released; signing resumes when it is back", async () => {
      const before = await signOk(fx);
      proxy.cut();
      try {
        for (const res of await burst(fx)) assertNoSignature(res);
      } finally {
        proxy.restore();
      }
      // The pool reconnects on demand; the first request after the outage may still meet a dead client.
      let seq: number | undefined;
      for (let i = 0; i < 20 && seq === undefined; i++) {
        const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
          body: { digestHex: digest() },
        });
        if (res.status === 200) seq = (res.body as Json).auditSeq as number;
        else assertNoSignature(res);
      }
      assert.equal(seq, before + 1);
      await assertChainVerifies(fx);
    });

    test("the database unreachable: 503 with Retry-After", async () => {
      proxy.cut();
      try {
        for (const res of await burst(fx)) {
          assert.equal(res.status, 503, res.text);
          assert.match(String(res.headers["retry-after"]), /^[1-9][0-9]*$/);
        }
      } finally {
        proxy.restore();
      }
    });
  });
});
