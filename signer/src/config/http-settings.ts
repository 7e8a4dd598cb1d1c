import { ConfigError } from "./config-error.js";
import { type Env, parseInteger } from "./env.js";
import type { HttpSettings } from "./types.js";

/**
 * Server timeouts and the concurrency cap (README "Rate limits and load shedding"). The defaults
 * bound what a slow or stalled client can hold: a connection that has not sent its headers after
 * SIGNER_HEADERS_TIMEOUT_MS, or its whole request after SIGNER_REQUEST_TIMEOUT_MS, gets 408 and is
 * closed; an idle keep-alive connection is closed after SIGNER_KEEPALIVE_TIMEOUT_MS.
 */
export function readHttpSettings(env: Env): HttpSettings {
  const maxInflight = parseInteger(env, "SIGNER_MAX_INFLIGHT", 256, 1, 100_000);
  const requestTimeoutMs = parseInteger(env, "SIGNER_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000);
  const headersTimeoutMs = parseInteger(env, "SIGNER_HEADERS_TIMEOUT_MS", 10_000, 100, 600_000);
  const keepAliveTimeoutMs = parseInteger(env, "SIGNER_KEEPALIVE_TIMEOUT_MS", 5000, 100, 600_000);
  // Node requires headersTimeout <= requestTimeout; otherwise the request timeout never applies first.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      "SIGNER_HEADERS_TIMEOUT_MS",
      `must not exceed SIGNER_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return { maxInflight, requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs };
}
