import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../audit/audit-log.js";
import type { AuditInput } from "../audit/event.js";
import type { Config } from "../config/types.js";
import { createLogger } from "../observability/logger.js";
import { createMetrics } from "../observability/metrics.js";
import { KeyRegistry } from "../registry/key-registry.js";
import { openPostgresStore } from "../store/postgres.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";

/** A store opened for API-key changes, with an audit sink sealed by the configured audit key. */
export interface ApiKeyWriteSession {
  readonly store: Store;
  readonly audit: (event: AuditInput) => Promise<void>;
  readonly actor: string;
  close(): Promise<void>;
}

/** `cli:<os user>`: who ran the command, as the audit event records it. */
export function cliActor(): string {
  let name = "unknown";
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return `cli:${name.replace(/[^\x21-\x7e]/g, "?").slice(0, 64)}`;
}

/**
 * Open the service's store read-write, next to a running service, and the audit key. API-key
 * changes are audit events, so the command needs the audit key (as `audit verify` needs the public
 * keys). SQLite is opened without the service's process lock: the lock keeps two *services* off one
 * file, while this short-lived writer is serialised by SQLite's own locking, and its audit batch by
 * the chain head's compare-and-swap (a concurrent service batch retries as a 503, never forks).
 */
export async function openApiKeyWriteSession(config: Config): Promise<ApiKeyWriteSession> {
  const auditKid = config.auditKid;
  if (!auditKid)
    throw new Error("no audit key configured (auditKid/defaultKid); API-key changes must be audited");
  // 0o700 as openStore does: the audit log and key registry are for the service's user only.
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store: Store = config.databaseUrl
    ? openPostgresStore(config.databaseUrl.revealText(), { applicationName: "signer-cli" })
    : openSqliteStore(join(config.dataDir, "signer.db"), { lock: false });
  let registry: KeyRegistry | undefined;
  try {
    await store.migrate();
    const metrics = createMetrics({ defaults: false });
    // Only the audit key: the command signs nothing else and should not need other backends.
    const auditKey = config.keys.filter((k) => k.kid === auditKid);
    registry = await KeyRegistry.open(store, auditKey, {
      strict: config.strict,
      dataDir: config.dataDir,
      aws: config.aws,
    });
    const reg = registry;
    const log = new AuditLog({
      store,
      auditKid,
      metrics,
      logger: createLogger("silent"),
      sealer: async () => (await reg.signer(auditKid)).backend,
    });
    return {
      store,
      actor: cliActor(),
      audit: async (event) => {
        await log.record([event]);
      },
      async close() {
        await log.close();
        await reg.close();
        await store.close();
      },
    };
  } catch (err) {
    await registry?.close();
    await store.close();
    throw err;
  }
}
