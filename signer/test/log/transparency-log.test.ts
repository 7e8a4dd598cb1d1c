import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  checkpointExtends,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from "@signing-proxy/client-sdk";
import { AuditLog } from "../../src/audit/audit-log.js";
import type { KeyConfig } from "../../src/config/types.js";
import { TransparencyLog } from "../../src/log/transparency-log.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { KeyRegistry } from "../../src/registry/key-registry.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { type DbTarget, targetKinds, withTarget } from "../audit/db-targets.js";

const ORIGIN = "signer.test/log";

function keyConfig(dir: string, kid: string): KeyConfig {
  const file = join(dir, `${kid}.pem`);
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
  writeFileSync(file, pem, { mode: 0o600 });
  return {
    kid,
    uri: `softkey:file=${file}`,
    alg: "ed25519",
    status: "active",
    description: "",
    usage: ["sign"],
    dev: false,
    emergency: false,
    source: kid,
  };
}

/** A store with a registry, an audit writer and a transparency log over it (one "replica"). */
async function replica(store: Store, keys: readonly KeyConfig[]) {
  const logger = createLogger("silent");
  const registry = await KeyRegistry.open(store, keys, { strict: false, dataDir: "." });
  const log = await TransparencyLog.open({ store, registry, logKid: "k-log", origin: ORIGIN, logger });
  const audit = new AuditLog({
    store,
    auditKid: "k-audit",
    metrics: createMetrics(),
    logger,
    sealer: async () => (await registry.signer("k-audit")).backend,
  });
  const record = (n: number) =>
    audit.record(
      Array.from({ length: n }, (_, i) => ({
        principal: "p",
        op: "sign.hash",
        kid: "k",
        alg: "ed25519",
        digestHex: String(i % 10).repeat(64),
        result: "ok",
        requestId: `r${i}`,
      })),
    );
  return {
    log,
    record,
    async close() {
      await audit.close();
      await log.close();
      await registry.close();
    },
  };
}

async function reopen(t: DbTarget): Promise<Store> {
  const url = t.env.DATABASE_URL;
  return openStore({ dataDir: t.dir, ...(url ? { databaseUrl: url } : {}) });
}

for (const kind of targetKinds()) {
  describe(`transparency log (${kind.name})`, { skip: kind.skip ?? false }, () => {
    test("checkpoints extend each other; an altered or truncated history is refused and fails the pinned check", async () => {
      await withTarget(kind, async (t) => {
        const keys = [keyConfig(t.dir, "k-log"), keyConfig(t.dir, "k-audit")];
        const r = await replica(t.store, keys);
        await r.record(5);
        const c1 = await r.log.checkpoint();
        assert.equal(c1.size, 5);
        const vk = parseVerifierKey(r.log.verifierKey);
        const pinned = openCheckpoint(c1.note, [vk], ORIGIN);
        await r.record(3);
        const c2 = await r.log.checkpoint();
        const newer = openCheckpoint(c2.note, [vk], ORIGIN);
        const proof = (await r.log.consistencyProof(5, 8)).map((p) => p.toString("base64"));
        assert.ok(checkpointExtends(pinned, newer, proof));
        await r.close();

        // An attacker with database access rewrites event 2 (triggers dropped first).
        const raw = await t.tamper();
        await raw.update(2, "digest_hex", "f".repeat(64));
        const store = await reopen(t);
        try {
          const again = await replica(store, keys);
          // A restarted replica rebuilds the tree from the events and refuses to sign over them.
          await assert.rejects(again.log.checkpoint(), /inconsistent with checkpoint 8/);
          assert.equal((await again.log.latest())?.size, 8);
          // The proof it now serves does not connect the pinned checkpoint to the signed one.
          const bad = await again.log.consistencyProof(5, 8);
          assert.equal(verifyConsistency(5, 8, bad, pinned.rootHash, newer.rootHash), false);
          await again.close();
        } finally {
          await store.close();
        }
      });
    });

    test("a truncated log is refused", async () => {
      await withTarget(kind, async (t) => {
        const keys = [keyConfig(t.dir, "k-log"), keyConfig(t.dir, "k-audit")];
        const r = await replica(t.store, keys);
        await r.record(6);
        assert.equal((await r.log.checkpoint()).size, 6);
        await r.close();
        const raw = await t.tamper();
        await raw.remove([4, 5]);
        const store = await reopen(t);
        try {
          const again = await replica(store, keys);
          await assert.rejects(again.log.checkpoint(), /shorter than its checkpoint/);
          await again.close();
        } finally {
          await store.close();
        }
      });
    });
  });
}
