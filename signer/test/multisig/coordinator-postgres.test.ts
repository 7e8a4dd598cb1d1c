import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import pg from "pg";
import { withPostgres } from "../../../test/helpers/postgres.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { runCoordinatorSuite } from "./coordinator-suite.js";
import { openHarness, POLICY, upgradeManifest } from "./harness.js";
import { runKeyRotationSuite } from "./rotation-suite.js";
import { refused } from "./suite-helpers.js";

withPostgres("multisig on postgres", postgresSuite);

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
  const openIn = (schema: string) => openPostgresStore(url, { schema, poolSize: 4, applicationName: schema });

  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  runCoordinatorSuite("postgres", async () => openIn(await freshSchema()));
  runKeyRotationSuite("postgres", async () => openIn(await freshSchema()));

  describe("multisig on postgres: replicas and the database's own guards", () => {
    test("two replicas racing approvals: exactly threshold count, one proof", async () => {
      const schema = await freshSchema();
      const a = await openHarness(openIn(schema));
      const b = await openHarness(openIn(schema), { privateKeys: a.privateKeys });
      try {
        const { id } = await a.coordinator.propose(a.ops[0]!, POLICY.id, upgradeManifest(1), "r");
        const results = await Promise.allSettled(
          [0, 1, 2, 3, 4].map((i) => {
            const h = i % 2 === 0 ? a : b;
            return h.coordinator.approve(h.ops[i]!, id, { kid: [...h.ops[i]!.keys][0]! }, `r${i}`);
          }),
        );
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
        assert.equal((await b.store.getProposal(id))?.approvals.length, 3);
        const approved = await admin.query(
          `SELECT count(*)::int AS n FROM ${schema}.audit_events WHERE op = 'multisig.approved'`,
        );
        assert.equal(approved.rows[0].n, 1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("a decided proposal and its approvals cannot be changed, even through a raw connection", async () => {
      const schema = await freshSchema();
      const h = await openHarness(openIn(schema));
      try {
        const { id } = await h.coordinator.propose(h.ops[0]!, POLICY.id, upgradeManifest(1), "r");
        for (const i of [0, 1, 2])
          await h.coordinator.approve(h.ops[i]!, id, { kid: [...h.ops[i]!.keys][0]! }, "r");
        for (const sql of [
          `UPDATE ${schema}.multisig_proposals SET proof = '{}' WHERE id = '${id}'`,
          `UPDATE ${schema}.multisig_proposals SET status = 'rejected' WHERE id = '${id}'`,
          `DELETE FROM ${schema}.multisig_proposals WHERE id = '${id}'`,
          `UPDATE ${schema}.multisig_approvals SET signature = 'AAAA'`,
          `DELETE FROM ${schema}.multisig_approvals`,
        ]) {
          await assert.rejects(admin.query(sql), /immutable|never deleted|append-only/, sql);
        }
        await refused(h.coordinator.approve(h.ops[3]!, id, { kid: "op-dave-v1" }, "r"), "ERR_CONFLICT");
      } finally {
        await h.close();
      }
    });
  });
}
