import { randomUUID } from "node:crypto";
import type { Server as HttpsServer } from "node:https";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AuditLog } from "./audit/audit-log.js";
import type { PeerTrust } from "./auth/peer-trust.js";
import type { PrincipalResolver } from "./auth/principal.js";
import type { Config } from "./config/types.js";
import { installAccessControl } from "./http/access-control.js";
import { clientErrorHandler } from "./http/client-error.js";
import { installErrorHandling } from "./http/error-handler.js";
import { installStrictJson } from "./http/strict-json.js";
import type { TransparencyLog } from "./log/transparency-log.js";
import type { Logger } from "./observability/logger.js";
import type { Metrics } from "./observability/metrics.js";
import type { KeyRegistry } from "./registry/key-registry.js";
import { auditRoutes } from "./routes/audit.js";
import { healthRoutes } from "./routes/health.js";
import { keyRoutes } from "./routes/keys.js";
import { logRoutes } from "./routes/log.js";
import { multisigRoutes } from "./routes/multisig.js";
import { signRoutes } from "./routes/sign.js";
import { verifyRoutes } from "./routes/verify.js";
import { SignService } from "./signing/sign-service.js";
import type { Store } from "./store/store.js";

/** Everything the HTTP layer needs, built by main.ts (or a test). */
export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly principals: PrincipalResolver;
  /** CA/CRL state that SIGHUP updates; lets open connections be re-checked after a reload. */
  readonly trust?: PeerTrust;
  /** The transparency log, when `logKid` is configured (docs/transparency-log.md). */
  readonly log?: TransparencyLog;
}

/** TLS material for the main port. */
export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca: Buffer;
  readonly crl?: Buffer;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function baseOptions(deps: AppDeps): FastifyServerOptions {
  return {
    loggerInstance: deps.logger,
    bodyLimit: deps.config.limits.bodyLimitBytes,
    // Accept a caller's request id only when it is short and plain, so it cannot inject log or header content.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    return503OnClosing: true,
    // Slow clients (slowloris): a request must arrive within requestTimeout, and an idle keep-alive
    // connection is closed after keepAliveTimeout (headersTimeout is set on the https server below).
    requestTimeout: deps.config.http.requestTimeoutMs,
    keepAliveTimeout: deps.config.http.keepAliveTimeoutMs,
    clientErrorHandler,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
  };
}

/** The main-port app (mutual TLS when `tls` is given; tests may inject without TLS only via `tls`). */
export async function buildApp(deps: AppDeps, tls: TlsMaterial): Promise<FastifyInstance> {
  const options: FastifyHttpsOptions<HttpsServer> = {
    ...(baseOptions(deps) as unknown as FastifyHttpsOptions<HttpsServer>),
    https: {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      ...(tls.crl ? { crl: tls.crl } : {}),
      // Every main-port route requires a client certificate that chains to the client CA, over TLS 1.3.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      // Headers (and the TLS handshake before them) must arrive within headersTimeout; the
      // checking interval bounds how late the 408 comes.
      headersTimeout: deps.config.http.headersTimeoutMs,
      handshakeTimeout: deps.config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, deps.config.http.headersTimeoutMs),
    },
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  const { config } = deps;
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Signing proxy", version: "0.1.0", description: "See DESIGN.md Part A" },
    },
  });
  installErrorHandling(app);
  installStrictJson(app, {
    maxDepth: config.limits.canonicalMaxDepth + 4,
    maxBytes: config.limits.bodyLimitBytes,
  });
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
    reply.header("cache-control", "no-store");
  });
  app.addHook("onResponse", async (request, reply) => {
    deps.metrics.requestsTotal.inc({
      route: request.routeOptions.url ?? "unmatched",
      method: request.method,
      status: String(reply.statusCode),
    });
  });
  // Before any route: every route gets shedding, authentication, rate limits and its permission check.
  await installAccessControl(app, {
    config,
    principals: deps.principals,
    store: deps.store,
    audit: deps.audit,
    ...(deps.trust ? { trust: deps.trust } : {}),
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const signer = new SignService({
    registry: deps.registry,
    audit: deps.audit,
    metrics: deps.metrics,
    defaultKid: config.defaultKid,
    logKid: config.logKid,
  });
  const limits = {
    batchMaxItems: config.limits.batchMaxItems,
    canonicalMaxBytes: config.limits.canonicalMaxBytes,
    canonicalMaxDepth: config.limits.canonicalMaxDepth,
  };
  await app.register(signRoutes, { signer, ...limits });
  await app.register(verifyRoutes, {
    registry: deps.registry,
    audit: deps.audit,
    metrics: deps.metrics,
    ...limits,
  });
  await app.register(keyRoutes, { registry: deps.registry, requirePermission: true });
  await app.register(auditRoutes, { store: deps.store });
  await app.register(logRoutes, { log: deps.log, store: deps.store });
  await app.register(multisigRoutes, {
    config,
    store: deps.store,
    registry: deps.registry,
    audit: deps.audit,
  });
  return app;
}

/** The management-port app: plain HTTP, no client certificate, probes and public keys only. */
export async function buildManagementApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ ...baseOptions(deps), bodyLimit: 1024 }) as unknown as FastifyInstance;
  installErrorHandling(app);
  await app.register(healthRoutes, {
    store: deps.store,
    registry: deps.registry,
    metrics: deps.metrics,
    warnings: deps.config.warnings,
  });
  await app.register(keyRoutes, { registry: deps.registry, requirePermission: false });
  return app;
}
