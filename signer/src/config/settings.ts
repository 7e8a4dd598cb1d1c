import { hostname } from "node:os";
import { ConfigError } from "./config-error.js";
import { type Env, parseChoice, parseIdentifier, parseInteger, readVar } from "./env.js";
import type { Secret } from "./secret.js";
import { type ReadFile, resolveSecret } from "./secret-ref.js";
import type { Config } from "./types.js";

/** pino's level names. */
export const LOG_LEVELS = Object.freeze([
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const);

/** A shared API key shorter than this is guessable; refuse it. */
export const MIN_API_KEY_CHARS = 16;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The request limits (A5): defaults, and ranges that keep a typo from disabling a limit. */
export function readLimits(env: Env): Config["limits"] {
  return {
    bodyLimitBytes: parseInteger(env, "SIGNER_BODY_LIMIT_BYTES", MiB, 1, GiB),
    // The batch cap is part of the API contract (A5: ≤ 1024 items).
    batchMaxItems: parseInteger(env, "SIGNER_BATCH_MAX", 1024, 1, 1024),
    canonicalMaxBytes: parseInteger(env, "SIGNER_CANONICAL_MAX_BYTES", 256 * 1024, 1, GiB),
    canonicalMaxDepth: parseInteger(env, "SIGNER_CANONICAL_MAX_DEPTH", 32, 1, 1000),
  };
}

/** DATABASE_URL as a Secret (it may hold a password); only PostgreSQL URLs are accepted. */
export function readDatabaseUrl(env: Env, readFile: ReadFile): Secret | undefined {
  const raw = readVar(env, "DATABASE_URL");
  if (raw === undefined) return undefined;
  const secret = resolveSecret(raw, env, readFile, { name: "DATABASE_URL" });
  if (!/^postgres(?:ql)?:\/\//i.test(secret.revealText())) {
    throw new ConfigError("DATABASE_URL", "expected a postgres:// or postgresql:// URL");
  }
  return secret;
}

/** SIGNING_PROXY_API_KEY as a Secret of at least MIN_API_KEY_CHARS characters. */
export function readApiKey(env: Env, readFile: ReadFile): Secret | undefined {
  const raw = readVar(env, "SIGNING_PROXY_API_KEY");
  if (raw === undefined) return undefined;
  const secret = resolveSecret(raw, env, readFile, { name: "SIGNING_PROXY_API_KEY" });
  if ([...secret.revealText()].length < MIN_API_KEY_CHARS) {
    throw new ConfigError("SIGNING_PROXY_API_KEY", `must be at least ${MIN_API_KEY_CHARS} characters`);
  }
  return secret;
}

/** LOG_LEVEL (default info). */
export function readLogLevel(env: Env): string {
  return parseChoice(env, "LOG_LEVEL", LOG_LEVELS, "info");
}

/** SIGNER_ID (default: the host name), recorded with audit events and metrics. */
export function readSignerId(env: Env, defaultHostname: string = hostname()): string {
  return parseIdentifier(env, "SIGNER_ID", defaultHostname);
}
