import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { verifyAuditChain } from "../../signer/src/audit/verify-chain.js";
import {
  AUDIT_KID,
  createPgSchema,
  createSignerSetup,
  type PgSchema,
  SIGN_KID,
  type SignerProcess,
  type SignerSetup,
  withPostgres,
} from "../helpers/process-fixture.js";
import { call } from "../helpers/tls-client.js";
import {
  assertCliVerifies,
  assertEveryReceivedAudited,
  assertSignaturesValid,
  startLoad,
} from "./audit-load.js";

const REPLICAS = 3;
/** Only the audit key may seal: a seal by the signing key must not verify. */
const sealKeys = (setup: SignerSetup) => new Map([[AUDIT_KID, setup.keys.get(AUDIT_KID)!]]);
const CLIENTS_PER_REPLICA = 8;
const LOAD_MS = 3000;

withPostgres("audit chain across replicas", (pgUrl) => {
  describe("3 signer serve replicas on one PostgreSQL schema", { timeout: 60_000 }, () => {
    let pgSchema: PgSchema;
    let setup: SignerSetup;
    let replicas: SignerProcess[];
    before(async () => {
      pgSchema = await createPgSchema(pgUrl);
      setup = await createSignerSetup({ databaseUrl: pgSchema.url });
      // Started together, so they also race on the migrations and the first audit events.
      replicas = await Promise.all(
        Array.from({ length: REPLICAS }, (_, i) => setup.start({ SIGNER_ID: `replica-${i}` })),
      );
    });
    after(async () => {
      await setup?.close();
      await pgSchema?.drop();
    });

    test("concurrent load on every replica leaves one linear, sealed chain holding every signature", async (t) => {
      const controller = new AbortController();
      const loads = replicas.map((r) => {
        const target = { url: r.url, agent: setup.agent() };
        return startLoad({
          target: () => target,
          clients: CLIENTS_PER_REPLICA,
          signal: controller.signal,
          batchEvery: 5,
          batchSize: 4,
        });
      });
      setTimeout(() => controller.abort(), LOAD_MS);
      await Promise.all(loads.map((l) => l.done));
      const results = loads;
      for (const [i, r] of results.entries()) {
        assert.deepEqual([...r.failures], [], `replica ${i} refused requests:\n${replicas[i]!.output()}`);
        assert.ok(r.received.length > 20, `replica ${i} signed only ${r.received.length}`);
      }
      // A graceful stop commits what is pending; the chain must hold without it too, so read first.
      const received = results.flatMap((r) => r.received);
      const events = await setup.readEvents();

      // The whole table lives in the test's schema: the DATABASE_URL search_path option took effect.
      const inSchema = await pgSchema.admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${pgSchema.schema}.audit_events`,
      );
      assert.equal(Number(inSchema.rows[0]?.n), events.length);

      const report = await verifyAuditChain(events, { keys: sealKeys(setup) });
      assert.deepEqual(report.firstBad, undefined, JSON.stringify(report.firstBad));
      assert.equal(report.ok, true);
      assert.equal(report.count, events.length);
      assert.ok(report.seals > REPLICAS, "batches were sealed");
      assert.ok(report.seals < events.length, "group commit: fewer seals than events");

      // Every replica wrote into the same chain.
      const starts = events
        .filter((e) => e.op === "service.start")
        .map((e) => e.requestId)
        .sort();
      assert.deepEqual(starts, ["replica-0", "replica-1", "replica-2"]);

      assertSignaturesValid(received, setup.keys.get(SIGN_KID)!.publicKeyPem);
      assertEveryReceivedAudited(events, received);
      assert.ok(received.some((r) => r.op === "sign.batch"));
      t.diagnostic(`${received.length} signatures received, ${events.length} events, ${report.seals} seals`);

      // The auditor's view through the API agrees with the table.
      const head = await call(setup.agent("auditor"), `${replicas[0]!.url}/audit/head`);
      assert.equal(head.status, 200, head.text);
      assert.deepEqual(head.body, { seq: report.head?.seq, hash: report.head?.hash });
    });

    test("after SIGTERM on every replica the chain still verifies and ends sealed", async () => {
      const exits = await Promise.all(replicas.map((r) => r.stop("SIGTERM")));
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0, 0],
      );
      const events = await setup.readEvents();
      const report = await verifyAuditChain(events, { keys: sealKeys(setup) });
      assert.equal(report.ok, true, JSON.stringify(report.firstBad));
      assertCliVerifies(setup, report);
    });
  });
});
