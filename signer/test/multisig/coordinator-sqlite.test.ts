import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { runCoordinatorSuite } from "./coordinator-suite.js";
import { openHarness, POLICY, upgradeManifest } from "./harness.js";
import { runKeyRotationSuite } from "./rotation-suite.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "multisig-sqlite-"));
  dirs.push(dir);
  return join(dir, "signer.db");
}

runCoordinatorSuite("sqlite", async () => openSqliteStore(freshPath()));
runKeyRotationSuite("sqlite", async () => openSqliteStore(freshPath()));

test("sqlite: a decided proposal and its approvals cannot be changed, even through a raw connection", async () => {
  const path = freshPath();
  const h = await openHarness(openSqliteStore(path));
  try {
    const { id } = await h.coordinator.propose(h.ops[0]!, POLICY.id, upgradeManifest(1), "r");
    for (const i of [0, 1, 2])
      await h.coordinator.approve(h.ops[i]!, id, { kid: [...h.ops[i]!.keys][0]! }, "r");
    const raw = new Database(path);
    try {
      for (const sql of [
        `UPDATE multisig_proposals SET proof = '{}' WHERE id = '${id}'`,
        `UPDATE multisig_proposals SET status = 'rejected' WHERE id = '${id}'`,
        `DELETE FROM multisig_proposals WHERE id = '${id}'`,
        "UPDATE multisig_approvals SET signature = 'AAAA'",
        "DELETE FROM multisig_approvals",
        `INSERT INTO multisig_approvals VALUES ('${id}', 9, 'op-dave-v1', 'ed25519', 'AA==', '${"0".repeat(64)}', 'x', 'proxy', 'now')`,
      ]) {
        assert.throws(() => raw.exec(sql), /immutable|never deleted|append-only|only accepted while/, sql);
      }
    } finally {
      raw.close();
    }
  } finally {
    await h.close();
  }
});
