import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BackendTelemetry } from "../backends/backend.js";

/** Every metric the service exports, on one registry (no global state, so tests stay isolated). */
export interface Metrics {
  readonly registry: Registry;
  readonly signSeconds: Histogram<"alg" | "backend">;
  readonly signFailures: Counter<"alg" | "backend" | "reason">;
  readonly verifyTotal: Counter<"alg" | "result">;
  readonly requestsTotal: Counter<"route" | "method" | "status">;
  readonly auditAppendSeconds: Histogram;
  readonly auditBatchSize: Histogram;
  readonly auditFailures: Counter<"reason">;
  /** Retries of remote backend calls (e.g. KMS throttling), per key. */
  readonly backendRetries: Counter<"backend" | "kid">;
  /** 1 while a key's circuit breaker is open or half-open (failing fast), else 0. */
  readonly backendCircuitOpen: Gauge<"backend" | "kid">;
  /** Failed backend calls by class (throttled, timeout, unreachable, circuit-open, …). */
  readonly backendErrors: Counter<"backend" | "kind">;
}

/** Create the metrics registry; `defaults` adds process/runtime metrics. */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: "signer_" });
  const fast = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  return {
    registry,
    signSeconds: new Histogram({
      name: "signer_sign_seconds",
      help: "Time spent in the key backend per signature",
      labelNames: ["alg", "backend"] as const,
      buckets: fast,
      registers: [registry],
    }),
    signFailures: new Counter({
      name: "signer_sign_failures_total",
      help: "Signatures that could not be produced",
      labelNames: ["alg", "backend", "reason"] as const,
      registers: [registry],
    }),
    verifyTotal: new Counter({
      name: "signer_verify_total",
      help: "Verifications by result (valid, invalid)",
      labelNames: ["alg", "result"] as const,
      registers: [registry],
    }),
    requestsTotal: new Counter({
      name: "signer_requests_total",
      help: "HTTP requests on the main port by route and status",
      labelNames: ["route", "method", "status"] as const,
      registers: [registry],
    }),
    auditAppendSeconds: new Histogram({
      name: "signer_audit_append_seconds",
      help: "Time to commit one audit batch (transaction, seal and fsync)",
      buckets: fast,
      registers: [registry],
    }),
    auditBatchSize: new Histogram({
      name: "signer_audit_batch_size",
      help: "Events per committed audit batch",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers: [registry],
    }),
    auditFailures: new Counter({
      name: "signer_audit_failures_total",
      help: "Audit batches that could not be committed (callers got 503)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    backendRetries: new Counter({
      name: "signer_backend_retries_total",
      help: "Retried calls to a remote key backend (throttling, timeouts, 5xx)",
      labelNames: ["backend", "kid"] as const,
      registers: [registry],
    }),
    backendCircuitOpen: new Gauge({
      name: "signer_backend_circuit_open",
      help: "1 while the key backend's circuit breaker fails fast, else 0",
      labelNames: ["backend", "kid"] as const,
      registers: [registry],
    }),
    backendErrors: new Counter({
      name: "signer_backend_errors_total",
      help: "Failed calls to a key backend by kind",
      labelNames: ["backend", "kind"] as const,
      registers: [registry],
    }),
  };
}

/** The backend telemetry hooks (BackendContext.telemetry) that feed these metrics. */
export function backendTelemetry(metrics: Metrics): BackendTelemetry {
  return {
    retried: (backend, kid) => metrics.backendRetries.inc({ backend, kid }),
    circuitChanged: (backend, kid, open) => metrics.backendCircuitOpen.set({ backend, kid }, open ? 1 : 0),
    failed: (backend, kind) => metrics.backendErrors.inc({ backend, kind }),
  };
}
