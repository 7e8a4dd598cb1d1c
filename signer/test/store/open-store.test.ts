import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/store/open-store.js";
import { StoreUnavailableError } from "../../src/store/store.js";
import { continueChain } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "signer-open-store-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("without a database URL it creates <dataDir>/signer.db (dir mode 0700) and migrates it", async () => {
  const dataDir = join(root, "a", "var");
  const store = await openStore({ dataDir });
  try {
    assert.equal(store.kind, "sqlite");
    assert.ok(existsSync(join(dataDir, "signer.db")));
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(await store.auditHead(), null);
  } finally {
    await store.close();
  }
});

test("a read-only open finds the same data and does not create missing directories", async () => {
  const dataDir = join(root, "b");
  const writer = await openStore({ dataDir });
  await writer.appendAuditBatch(async (head) => continueChain(head, 2));
  const reader = await openStore({ dataDir, readonly: true });
  assert.deepEqual(await reader.auditHead(), await writer.auditHead());
  await Promise.all([reader.close(), writer.close()]);
  await assert.rejects(openStore({ dataDir: join(root, "missing"), readonly: true }), StoreUnavailableError);
  assert.equal(existsSync(join(root, "missing")), false);
});

test("an empty database URL means SQLite", async () => {
  const store = await openStore({ databaseUrl: "", dataDir: join(root, "c") });
  assert.equal(store.kind, "sqlite");
  await store.close();
});
