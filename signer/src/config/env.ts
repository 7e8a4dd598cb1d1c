import { isIP } from "node:net";
import { ConfigError } from "./config-error.js";

/** The environment as config reads it: `process.env` or an explicit object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, or undefined when it is unset or empty (`FOO=` in a compose file means unset). */
export function readVar(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * A boolean flag: `true`/`1` → true, `false`/`0`/unset → false (case-insensitive). Anything else is an
 * error rather than false, so a typo such as `REQUIRE_KMS=yes` cannot silently disable strict mode.
 */
export function parseFlag(env: Env, name: string): boolean {
  const raw = readVar(env, name)?.trim().toLowerCase();
  if (raw === undefined || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new ConfigError(name, 'expected "true", "1", "false" or "0"');
}

/** An integer in [min, max]; `fallback` when unset. Rejects signs, decimals, exponents and hex. */
export function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readVar(env, name)?.trim();
  if (raw === undefined) return fallback;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** A TCP port 0..65535 (0 asks the OS for an ephemeral port, for tests). */
export function parsePort(env: Env, name: string, fallback: number): number {
  return parseInteger(env, name, fallback, 0, 65_535);
}

/** One of a closed set of lower-case words, or `fallback` when unset. */
export function parseChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T;
export function parseChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined;
export function parseChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback?: T,
): T | undefined {
  const raw = readVar(env, name)?.trim();
  if (raw === undefined) return fallback;
  const found = choices.find((c) => c === raw.toLowerCase());
  if (found === undefined) throw new ConfigError(name, `expected one of ${choices.join(", ")}`);
  return found;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A listen address: an IPv4/IPv6 literal or a DNS name. */
export function parseHost(env: Env, name: string, fallback: string): string {
  const raw = readVar(env, name)?.trim();
  if (raw === undefined) return fallback;
  if (isIP(raw) === 0 && !HOSTNAME.test(raw)) {
    throw new ConfigError(name, "expected an IP address or a host name");
  }
  return raw;
}

/** A free-form identifier (SIGNER_ID, ids in logs): 1..128 printable characters without spaces. */
export function parseIdentifier(env: Env, name: string, fallback: string): string {
  const raw = readVar(env, name)?.trim() ?? fallback;
  if (!/^[\x21-\x7e]{1,128}$/.test(raw)) {
    throw new ConfigError(name, "expected 1 to 128 printable ASCII characters without spaces");
  }
  return raw;
}
