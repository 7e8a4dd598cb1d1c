import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Alg } from "../../src/algorithms.js";
import { AuditLog } from "../../src/audit/audit-log.js";
import type { AuditInput } from "../../src/audit/event.js";
import type { KeyConfig } from "../../src/config/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { KeyRegistry } from "../../src/registry/key-registry.js";
import type { AuditEvent, Store } from "../../src/store/store.js";

/** A softkey key file written under `dir`, and its KeyConfig as config would build it. */
export function softKey(dir: string, kid: string, alg: Alg = "ed25519"): KeyConfig {
  const path = join(dir, `${kid}.key`);
  const material = alg === "hmac-sha256" ? randomBytes(32) : privatePem(alg);
  writeFileSync(path, material, { mode: 0o600 });
  return {
    kid,
    uri: `softkey:file=${path}`,
    alg,
    status: "active",
    description: "audit test key",
    usage: ["sign"],
    dev: false,
    emergency: false,
    source: "test",
  };
}

function privatePem(alg: Exclude<Alg, "hmac-sha256">): string {
  const pair =
    alg === "ed25519"
      ? generateKeyPairSync("ed25519")
      : alg === "ecdsa-sha256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

/** One audit input like the sign routes record. */
export function input(i: number): AuditInput {
  return {
    principal: i % 3 === 0 ? "memory-layer" : "op-alice",
    op: "sign.hash",
    kid: "k-ed25519",
    alg: "ed25519",
    digestHex: randomBytes(32).toString("hex"),
    result: i % 5 === 4 ? "refused" : "ok",
    requestId: `req-${i}`,
  };
}

/**
 * Write a real audit log into `store`: the key is registered through KeyRegistry (so `--db` finds
 * it), and events go through the group-commit AuditLog with small batches and concurrent callers,
 * so the log holds several sealed batches. Returns every event as stored.
 */
export async function writeAuditLog(store: Store, key: KeyConfig, dataDir: string): Promise<AuditEvent[]> {
  const registry = await KeyRegistry.open(store, [key], { strict: false, dataDir });
  const log = new AuditLog({
    store,
    auditKid: key.kid,
    metrics: createMetrics({ defaults: false }),
    logger: createLogger("silent"),
    sealer: async () => (await registry.signer(key.kid)).backend,
    maxBatchEvents: 4,
  });
  try {
    let n = 0;
    // Ten concurrent callers of one or two events each: they share batches of at most four events.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => log.record(Array.from({ length: 1 + (i % 2) }, () => input(n++)))),
    );
    // Then a few lone callers, one batch each.
    for (let i = 0; i < 3; i++) await log.record([input(n++)]);
  } finally {
    await log.close();
    await registry.close();
  }
  return store.readAuditEvents(0, 10_000);
}

/** Seqs of the sealed events (the last event of each batch). */
export function sealedSeqs(events: readonly AuditEvent[]): number[] {
  return events.filter((e) => e.signature !== null).map((e) => e.seq);
}

/** A signers.json (the /keys body) built from the registry, as an auditor would save it. */
export async function writeSignersJson(store: Store, path: string): Promise<string> {
  const signers = (await store.listKeys()).map((k) => ({
    signer_kid: k.kid,
    algorithm: k.alg,
    ...(k.publicKeyPem ? { public_key_pem: k.publicKeyPem } : {}),
    deployedAt: k.deployedAt,
    description: k.description,
    status: k.status,
  }));
  writeFileSync(path, JSON.stringify({ signers }, null, 2));
  return path;
}
