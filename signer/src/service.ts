import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { type AppDeps, buildApp, buildManagementApp, type TlsMaterial } from "./app.js";
import { AuditLog } from "./audit/audit-log.js";
import { PeerTrust } from "./auth/peer-trust.js";
import { PrincipalResolver } from "./auth/principal.js";
import type { Config } from "./config/types.js";
import { checkLogKey } from "./log/log-key-policy.js";
import { TransparencyLog } from "./log/transparency-log.js";
import { watchCertExpiry } from "./observability/cert-expiry.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { backendTelemetry, createMetrics } from "./observability/metrics.js";
import { KeyRegistry } from "./registry/key-registry.js";
import { openStore } from "./store/open-store.js";

/** A running service. */
export interface RunningService {
  readonly main: FastifyInstance;
  readonly management: FastifyInstance;
  readonly deps: AppDeps;
  /** Main-port URL, e.g. https://127.0.0.1:8081 */
  readonly url: string;
  readonly managementUrl: string;
  /** Re-read TLS files and swap the server's secure context (SIGHUP). */
  reloadTls(): void;
  /** Stop accepting, finish in-flight work and the pending audit batch, close everything. */
  close(): Promise<void>;
}

/** Read the main port's TLS files. */
export function readTls(config: Config): TlsMaterial {
  if (!config.tls) throw new Error("TLS_CERT_FILE, TLS_KEY_FILE and TLS_CLIENT_CA_FILE must be set");
  const { certFile, keyFile, clientCaFile, crlFile } = config.tls;
  return {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ca: readFileSync(clientCaFile),
    ...(crlFile ? { crl: readFileSync(crlFile) } : {}),
  };
}

/** Open the store, the key registry and the audit log, then listen on both ports. */
export async function startService(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const tls = readTls(config);
  const metrics = createMetrics();
  // A shared or unsuitable log key is refused before anything is opened.
  const logKey = checkLogKey(config);
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.revealText() } : {}),
  });
  let registry: KeyRegistry | undefined;
  let log: TransparencyLog | undefined;
  try {
    registry = await KeyRegistry.open(store, config.keys, {
      strict: config.strict,
      dataDir: config.dataDir,
      aws: config.aws,
      telemetry: backendTelemetry(metrics),
    });
    const auditKid = config.auditKid;
    if (!auditKid)
      throw new Error("no audit key: set auditKid or defaultKid in SIGNER_CONFIG, or an env shortcut");
    const reg = registry;
    if (logKey) {
      log = await TransparencyLog.open({
        store,
        registry,
        logKid: logKey.kid,
        origin: logKey.origin,
        logger,
      });
    }
    const tlog = log;
    const audit = new AuditLog({
      store,
      auditKid,
      metrics,
      logger,
      sealer: async () => (await reg.signer(auditKid)).backend,
      activeKids: (kids) => reg.activeKids(kids),
      ...(tlog ? { onCommitted: (seq: number) => tlog.noteCommitted(seq) } : {}),
    });
    const deps: AppDeps = {
      config,
      store,
      registry,
      audit,
      metrics,
      logger,
      principals: new PrincipalResolver(config.principals, config.defaultKid),
      trust: new PeerTrust(tls),
      ...(tlog ? { log: tlog } : {}),
    };
    const expiry = watchCertExpiry(metrics.registry, logger);
    expiry.update(tls.cert);
    // The first event proves the audit key can seal before any caller is served.
    await audit.record([
      {
        principal: "system",
        op: "service.start",
        kid: auditKid,
        alg: null,
        digestHex: null,
        result: "ok",
        requestId: config.signerId,
      },
    ]);
    if (config.principals.length === 0) {
      logger.warn(
        "no principals configured: any certificate from TLS_CLIENT_CA_FILE may sign with the default key",
      );
    }
    for (const warning of config.warnings) logger.warn(warning);
    const main = await buildApp(deps, tls);
    const management = await buildManagementApp(deps);
    await main.listen({ host: config.host, port: config.port });
    await management.listen({ host: config.managementHost, port: config.managementPort });
    const hostFor = (h: string) => (h.includes(":") ? `[${h}]` : h);
    const portOf = (app: FastifyInstance) => {
      const addr = app.server.address();
      return typeof addr === "object" && addr ? addr.port : 0;
    };
    let closing: Promise<void> | undefined;
    return {
      main,
      management,
      deps,
      url: `https://${hostFor(config.host)}:${portOf(main)}`,
      managementUrl: `http://${hostFor(config.managementHost)}:${portOf(management)}`,
      reloadTls() {
        const next = readTls(config);
        // Parse the new CA and CRL first: a bad file throws here and nothing changes.
        const commitTrust = deps.trust?.stage(next);
        (main.server as import("node:https").Server).setSecureContext({
          key: next.key,
          cert: next.cert,
          ca: next.ca,
          ...(next.crl ? { crl: next.crl } : {}),
          // The replacement context must keep the TLS 1.3 floor.
          minVersion: "TLSv1.3",
        });
        // Open connections are re-checked against the new CA and CRL on their next request.
        commitTrust?.();
        expiry.update(next.cert);
        logger.info("TLS material reloaded");
      },
      close() {
        closing ??= (async () => {
          expiry.stop();
          await Promise.allSettled([main.close(), management.close()]);
          await audit.close();
          await tlog?.close();
          await reg.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await log?.close();
    await registry?.close();
    await store.close();
    throw err;
  }
}
