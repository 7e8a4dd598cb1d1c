import { isAbsolute, resolve } from "node:path";
import { ConfigError, configErrorFrom } from "./config-error.js";
import type { Env } from "./env.js";
import { type ConfigFile, type ConfigFileKey, ConfigFileSchema } from "./file-schema.js";
import { issueMessage, issueProblems } from "./issues.js";
import { checkHmacSecret, inferPemAlg, unescapePem } from "./key-material.js";
import { toOidcConfig } from "./oidc-schema.js";
import { pkcs11PinFromEnv } from "./pkcs11-pin.js";
import { Secret } from "./secret.js";
import { type ReadFile, resolveSecret } from "./secret-ref.js";
import type { KeyConfig, MultisigPolicyConfig, OidcConfig, PrincipalConfig } from "./types.js";

/** The SIGNER_CONFIG file turned into config types (cross-references are checked later, with all keys). */
export interface LoadedConfigFile {
  readonly keys: KeyConfig[];
  readonly defaultKid: string | undefined;
  readonly auditKid: string | undefined;
  readonly logKid: string | undefined;
  readonly logOrigin: string | undefined;
  readonly principals: PrincipalConfig[];
  readonly policies: MultisigPolicyConfig[];
  readonly oidc: OidcConfig | undefined;
}

const NAME = "SIGNER_CONFIG";

/** Read, parse and validate the SIGNER_CONFIG file; `softkey:env=` and pkcs11 `pin-source=env:` secrets are resolved here. */
export function loadConfigFile(path: string, cwd: string, env: Env, readFile: ReadFile): LoadedConfigFile {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  const file = parseConfigFile(readText(absolute, readFile));
  return {
    keys: file.keys.map((key, i) => toKeyConfig(key, `${NAME} keys[${i}]`, env, readFile)),
    defaultKid: file.defaultKid,
    auditKid: file.auditKid,
    logKid: file.logKid,
    logOrigin: file.logOrigin,
    principals: file.principals.map((p) => ({
      id: p.id,
      match: p.match.cn !== undefined ? { cn: p.match.cn } : { san_uri: p.match.san_uri ?? "" },
      roles: p.roles,
      keys: p.keys,
      requireApiKey: p.requireApiKey,
      ...(p.oidc ? { oidc: true } : {}),
      ...(p.rateLimit ? { rateLimit: { max: p.rateLimit.max, windowMs: p.rateLimit.windowMs } } : {}),
    })),
    policies: file.multisig.policies.map((p) => ({ id: p.id, threshold: p.threshold, signers: p.signers })),
    oidc: oidcOf(file),
  };
}

/** The `oidc` block; a principal that requires tokens without one could never be served. */
function oidcOf(file: ConfigFile): OidcConfig | undefined {
  const index = file.principals.findIndex((p) => p.oidc);
  if (index >= 0 && file.oidc === undefined) {
    throw new ConfigError(`${NAME} principals[${index}].oidc`, "is true but SIGNER_CONFIG has no oidc block");
  }
  return file.oidc === undefined ? undefined : toOidcConfig(file.oidc);
}

/** Parse the JSON text and check it against the A3 schema; every problem is named by its path. */
export function parseConfigFile(text: string): ConfigFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the input, which may hold a PIN: report only the position.
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : "")?.[1];
    throw new ConfigError(
      NAME,
      `not valid JSON${position ? ` (${lineColumn(text, Number(position))})` : ""}`,
    );
  }
  const result = ConfigFileSchema.safeParse(data, { error: issueMessage });
  if (!result.success) throw configErrorFrom(issueProblems(NAME, result.error.issues));
  return result.data;
}

function readText(path: string, readFile: ReadFile): string {
  try {
    const content = readFile(path);
    return typeof content === "string" ? content : content.toString("utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    throw new ConfigError(NAME, `cannot read ${path}${code ? ` (${code})` : ""}`);
  }
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split("\n");
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function toKeyConfig(key: ConfigFileKey, source: string, env: Env, readFile: ReadFile): KeyConfig {
  const base = {
    kid: key.kid,
    uri: key.uri,
    alg: key.alg,
    status: key.status,
    description: key.description,
    usage: key.usage,
    dev: key.dev,
    emergency: false,
    source,
  };
  // Config is the only reader of the environment, so a pkcs11: pin-source=env: PIN is resolved here.
  const pin = pkcs11PinFromEnv(key.uri, `${source}.uri`, env);
  if (pin !== undefined) return { ...base, secret: pin };
  const envName = /^softkey:env=(.+)$/.exec(key.uri)?.[1];
  if (envName === undefined) return base;
  // Config is the only reader of the environment, so an env= key's material is resolved here.
  return { ...base, secret: envKeySecret(key, envName, `${source}.uri`, env, readFile) };
}

function envKeySecret(
  key: ConfigFileKey,
  envName: string,
  field: string,
  env: Env,
  readFile: ReadFile,
): Secret {
  const value = env[envName];
  if (value === undefined || value === "") throw new ConfigError(field, `variable ${envName} is not set`);
  const hmac = key.alg === "hmac-sha256";
  const secret = resolveSecret(value, env, readFile, { name: `${field} (${envName})`, binary: hmac });
  if (hmac) {
    checkHmacSecret(secret, `${field} (${envName})`);
    return secret;
  }
  const pem = unescapePem(secret.revealText());
  inferPemAlg(pem, `${field} (${envName})`, key.alg, `${field.replace(/\.uri$/, "")}.alg`);
  return new Secret(pem);
}
