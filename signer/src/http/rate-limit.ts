import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SignerError } from "../errors.js";

/** How many (principal, route) counters one replica keeps (least recently used are dropped). */
const MAX_COUNTERS = 10_000;

function keyOf(request: FastifyRequest): string {
  return `${request.principal?.id ?? "-"}\n${request.method} ${request.routeOptions.url ?? "-"}`;
}

/**
 * Per-principal, per-route rate limits from the principal's `rateLimit` ({max, windowMs}) with
 * @fastify/rate-limit: each route has its own fixed window per principal. Principals without
 * `rateLimit` are not limited here (the concurrency cap still applies). Counters are per replica.
 * Runs after authentication (route-level onRequest hooks follow the instance's), so the key is the
 * authenticated principal, never a forgeable header or a shared NAT address.
 */
export async function installRateLimit(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: "onRequest",
    cache: MAX_COUNTERS,
    keyGenerator: keyOf,
    allowList: (request) => request.principal?.rateLimit === undefined,
    max: (request) => request.principal?.rateLimit?.max ?? 0,
    timeWindow: (request) => request.principal?.rateLimit?.windowMs ?? 1000,
    errorResponseBuilder: (_request, context) =>
      new SignerError("ERR_RATE_LIMITED", `rate limit exceeded; retry in ${context.after}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
}
