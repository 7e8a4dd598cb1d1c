#!/usr/bin/env node
// Container HEALTHCHECK (deploy/Dockerfile): exit 0 when the management port answers GET /healthz
// with 200, else 1. Liveness only: readiness (/readyz) is the orchestrator's business, because a
// KMS outage must stop traffic, not restart the container.
const port = Number(process.env.MANAGEMENT_PORT ?? "9090");
const host = process.env.HEALTHCHECK_HOST ?? "127.0.0.1";

try {
  const response = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
  process.exitCode = response.status === 200 ? 0 : 1;
} catch {
  process.exitCode = 1;
}
