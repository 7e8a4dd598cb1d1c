import type { FastifyInstance } from "fastify";
import type { Metrics } from "../observability/metrics.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { Store } from "../store/store.js";

/** Options of the management probes. */
export interface HealthRoutesOptions {
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly metrics: Metrics;
  readonly warnings: readonly string[];
  readonly checkTimeoutMs?: number;
}

async function withTimeout(work: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timeout after ${ms} ms`), ms);
  });
  try {
    // The detail is public (management port): report the error class, never backend messages.
    return await Promise.race([work.then(() => "ok"), timeout]).catch(
      (err: unknown) => `error: ${err instanceof Error ? err.name : "unknown"}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness: the store answers and every key backend passes a sign+verify self-test. */
export async function readiness(
  opts: HealthRoutesOptions,
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const ms = opts.checkTimeoutMs ?? 2000;
  const checks: Record<string, string> = {};
  const entries = [...opts.registry.backends().entries()];
  const results = await Promise.all([
    withTimeout(opts.store.ping(), ms),
    ...entries.map(([, backend]) => withTimeout(backend.healthCheck(), ms)),
  ]);
  checks.store = results[0]!;
  entries.forEach(([kid], i) => {
    checks[`key:${kid}`] = results[i + 1]!;
  });
  const ready = Object.values(checks).every((v) => v === "ok");
  opts.warnings.forEach((w, i) => {
    checks[`warning:${i}`] = w;
  });
  return { ready, checks };
}

/** GET /healthz, /readyz, /metrics. */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const { ready, checks } = await readiness(opts);
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "degraded", checks });
  });
  app.get("/metrics", async (_request, reply) => {
    const body = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(body);
  });
}
