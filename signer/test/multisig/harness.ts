import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alg, Role } from "../../src/algorithms.js";
import { AuditLog } from "../../src/audit/audit-log.js";
import { permissionsOf } from "../../src/auth/permissions.js";
import type { Principal } from "../../src/auth/principal.js";
import type { KeyConfig, MultisigPolicyConfig } from "../../src/config/types.js";
import { MultisigCoordinator } from "../../src/multisig/coordinator.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { KeyRegistry } from "../../src/registry/key-registry.js";
import type { Store } from "../../src/store/store.js";

/** The five operator keys of the 3-of-5 policy: ed25519 and P-256 mixed. */
export const OPERATORS = [
  { kid: "op-alice-v1", alg: "ed25519" },
  { kid: "op-bob-v1", alg: "ecdsa-sha256" },
  { kid: "op-carol-v1", alg: "ed25519" },
  { kid: "op-dave-v1", alg: "ecdsa-sha256" },
  { kid: "op-erin-v1", alg: "ed25519" },
] as const satisfies readonly { kid: string; alg: Alg }[];

/** The 3-of-5 policy over OPERATORS. */
export const POLICY: MultisigPolicyConfig = Object.freeze({
  id: "upgrades",
  threshold: 3,
  signers: OPERATORS.map((o) => o.kid),
});

/** Private key material written for the harness, by kid (tests sign detached approvals with it). */
export type PrivateKeys = ReadonlyMap<string, KeyObject>;

/** Generate a private key for `alg` (ed25519 or ecdsa-sha256). */
export function generateKey(alg: Alg): KeyObject {
  return alg === "ed25519"
    ? generateKeyPairSync("ed25519").privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

/** Write `keys` as PEM files under `dir` and describe them as configured softkeys. */
export function keyConfigs(
  dir: string,
  keys: readonly { kid: string; alg: Alg; key: KeyObject; status?: KeyConfig["status"] }[],
): KeyConfig[] {
  return keys.map(({ kid, alg, key, status }) => {
    const file = join(dir, `${kid}.pem`);
    writeFileSync(file, key.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o600 });
    return {
      kid,
      uri: `softkey:file=${file}`,
      alg,
      status: status ?? "active",
      description: "",
      usage: ["sign"],
      dev: false,
      emergency: false,
      source: `test ${kid}`,
    };
  });
}

/** An operator principal owning `kids`. */
export function operator(
  id: string,
  kids: readonly string[],
  roles: readonly Role[] = ["Operator"],
): Principal {
  return { id, roles, permissions: permissionsOf(roles), keys: new Set(kids), requireApiKey: false };
}

/** A coordinator over a real store, registry and audit log, with a clock tests can move. */
export interface Harness {
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  readonly coordinator: MultisigCoordinator;
  readonly privateKeys: PrivateKeys;
  /** One principal per operator key (alice owns op-alice-v1, …). */
  readonly ops: readonly Principal[];
  /** Move the clock. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Keys every harness configures: operators, an audit key, a candidate, an active "old" key, an outsider. */
export const EXTRA_KEYS = [
  { kid: "audit-v1", alg: "ed25519" },
  { kid: "svc-new-v2", alg: "ed25519", status: "candidate" },
  { kid: "svc-old-v1", alg: "ecdsa-sha256" },
  { kid: "op-mallory-v1", alg: "ed25519" },
] as const;

/**
 * Build a harness on `store` (fresh, not yet migrated). With `shared`, the key material of another
 * harness is reused, so two harnesses over one database act as two replicas.
 */
export async function openHarness(store: Store, shared?: { privateKeys: PrivateKeys }): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "multisig-"));
  let clock = Date.parse("2030-01-01T00:00:00Z");
  const now = () => new Date(clock);
  const all = [...OPERATORS, ...EXTRA_KEYS].map((k) => ({
    ...k,
    key: shared?.privateKeys.get(k.kid) ?? generateKey(k.alg),
  }));
  await store.migrate();
  const registry = await KeyRegistry.open(store, keyConfigs(dir, all), { strict: false, dataDir: dir });
  const audit = new AuditLog({
    store,
    auditKid: "audit-v1",
    metrics: createMetrics({ defaults: false }),
    logger: createLogger("silent"),
    sealer: async () => (await registry.signer("audit-v1")).backend,
  });
  const coordinator = await MultisigCoordinator.create({
    policies: [POLICY],
    store,
    registry,
    audit,
    protectedKids: ["audit-v1"],
    now,
  });
  return {
    store,
    registry,
    audit,
    coordinator,
    privateKeys: new Map(all.map((k) => [k.kid, k.key])),
    ops: OPERATORS.map((o) => operator(o.kid.split("-")[1] ?? o.kid, [o.kid])),
    advance(ms: number) {
      clock += ms;
    },
    async close() {
      await audit.close();
      await registry.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid upgrade manifest for the harness clock (2030-01-01), expiring a day later. */
export function upgradeManifest(
  version: number,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "upgrade",
    target: "memory-layer",
    version,
    expires: "2030-01-02T00:00:00Z",
    artifact: { image: "registry.example/memory-layer", digest: `sha256:${"ab".repeat(32)}` },
    ...over,
  };
}
