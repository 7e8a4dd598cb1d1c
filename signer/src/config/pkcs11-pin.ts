import { ConfigError } from "./config-error.js";
import { type Env, parseFlag, readVar } from "./env.js";
import { Secret } from "./secret.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The token PIN of a `pkcs11:` URI with `pin-source=env:NAME`, read from `env` (config is the only
 * reader of the environment; the backend reads `pin-source=file:` itself). Undefined for other URIs.
 * Errors name the field and the variable, never the PIN.
 */
export function pkcs11PinFromEnv(uri: string, field: string, env: Env): Secret | undefined {
  if (!/^pkcs11:/i.test(uri)) return undefined;
  const query = uri.slice(uri.indexOf("?") + 1 || uri.length);
  const raw = query
    .split("&")
    .find((attr) => attr.toLowerCase().startsWith("pin-source="))
    ?.slice("pin-source=".length);
  let source: string | undefined;
  try {
    source = raw === undefined ? undefined : decodeURIComponent(raw);
  } catch {
    return undefined; // Malformed escapes: the backend's URI parser reports them precisely.
  }
  if (source === undefined || !source.startsWith("env:")) return undefined;
  const name = source.slice("env:".length);
  if (!ENV_NAME.test(name))
    throw new ConfigError(field, "pin-source=env: needs an environment variable name");
  const value = readVar(env, name);
  if (value === undefined)
    throw new ConfigError(field, `pin-source=env:${name}: variable ${name} is not set`);
  return new Secret(value);
}

/** Strict mode as config decides it (NODE_ENV=production or REQUIRE_KMS), for offline CLI commands. */
export function isStrictEnv(env: Env): boolean {
  return readVar(env, "NODE_ENV")?.trim().toLowerCase() === "production" || parseFlag(env, "REQUIRE_KMS");
}
