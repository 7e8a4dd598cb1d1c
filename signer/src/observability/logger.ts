import { type Logger, pino } from "pino";

/**
 * Paths pino removes from every log line: credentials and key material must never reach logs,
 * whatever object a caller logs.
 */
export const REDACT_PATHS = Object.freeze([
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "headers.authorization",
  'headers["x-api-key"]',
  "*.apiKey",
  "*.key",
  "*.privateKey",
  "*.secret",
  "*.pin",
  "*.password",
  "*.databaseUrl",
  "apiKey",
  "privateKey",
  "secret",
  "pin",
  "password",
]);

/** The service logger: JSON lines with redaction. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
    base: { service: "signer" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
