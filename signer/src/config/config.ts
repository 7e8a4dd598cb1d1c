import { isAbsolute, resolve } from "node:path";
import { readAwsConfig } from "./aws.js";
import { ConfigError } from "./config-error.js";
import { type LoadedConfigFile, loadConfigFile } from "./config-file.js";
import { maskUri } from "./describe.js";
import { type Env, parseFlag, parseHost, parsePort, readVar } from "./env.js";
import { deepFreeze } from "./freeze.js";
import { readHttpSettings } from "./http-settings.js";
import { checkReferences } from "./references.js";
import { type ReadFile, readFileFromDisk } from "./secret-ref.js";
import { readApiKey, readDatabaseUrl, readLimits, readLogLevel, readSignerId } from "./settings.js";
import { SHORTCUT_KID, shortcutKey } from "./shortcuts.js";
import { checkStrict } from "./strict.js";
import { type IsReadableFile, isReadableFileOnDisk, readTlsPaths, tlsFiles } from "./tls.js";
import type { Config, KeyConfig } from "./types.js";

export { ConfigError, type ConfigErrorCode } from "./config-error.js";
export { describeConfig } from "./describe.js";

/** Seams for tests; production uses the real file system, cwd and host name. */
export interface LoadConfigOptions {
  /** Reads SIGNER_CONFIG and `file:` secrets. */
  readonly readFile?: ReadFile;
  /** Checks TLS files in strict mode. */
  readonly isReadableFile?: IsReadableFile;
  /** Base for relative paths (SIGNER_DATA_DIR, SIGNER_CONFIG, TLS files). */
  readonly cwd?: string;
  /** Default SIGNER_ID. */
  readonly hostname?: string;
}

/**
 * Build the one validated, deep-frozen Config from the environment (DESIGN.md A2/A3). This is the
 * only function in the project that reads process.env. Throws ConfigError naming the field at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadConfigOptions = {}): Config {
  const e: Env = env;
  const readFile = opts.readFile ?? readFileFromDisk;
  const cwd = opts.cwd ?? process.cwd();
  // Strict mode: NODE_ENV is compared case-insensitively so `Production` cannot slip past it.
  const nodeEnv = readVar(e, "NODE_ENV")?.trim() ?? "development";
  const production = nodeEnv.toLowerCase() === "production";
  const requireKms = parseFlag(e, "REQUIRE_KMS");
  const strict = production || requireKms;

  const host = parseHost(e, "HOST", strict ? "0.0.0.0" : "127.0.0.1");
  const port = parsePort(e, "PORT", 8081);
  const managementHost = parseHost(e, "MANAGEMENT_HOST", host);
  const managementPort = parsePort(e, "MANAGEMENT_PORT", 9090);
  if (port !== 0 && port === managementPort) {
    throw new ConfigError("MANAGEMENT_PORT", `must differ from PORT (${port})`);
  }
  const dataDirRaw = readVar(e, "SIGNER_DATA_DIR") ?? "./var";
  const dataDir = isAbsolute(dataDirRaw) ? resolve(dataDirRaw) : resolve(cwd, dataDirRaw);
  const tlsPaths = readTlsPaths(e, cwd);

  const databaseUrl = readDatabaseUrl(e, readFile);
  const apiKey = readApiKey(e, readFile);
  const aws = readAwsConfig(e, readFile);

  const shortcut = shortcutKey(e, readFile);
  const configPath = readVar(e, "SIGNER_CONFIG");
  const file = configPath === undefined ? undefined : loadConfigFile(configPath, cwd, e, readFile);
  const keys = mergeKeys(shortcut, file);
  const defaultKid =
    file?.defaultKid ?? (shortcut ? SHORTCUT_KID : keys.length === 1 ? keys[0]?.kid : undefined);
  const auditKid = file?.auditKid ?? defaultKid;
  const logKid = file?.logKid;
  const principals = file?.principals ?? [];
  const policies = file?.policies ?? [];
  checkReferences({ keys, defaultKid, auditKid, logKid, principals, policies });

  const warnings = strict
    ? checkStrict({
        reason: [production ? `NODE_ENV=${nodeEnv}` : "", requireKms ? "REQUIRE_KMS=true" : ""]
          .filter(Boolean)
          .join(", "),
        keys,
        auditKid,
        tls: tlsPaths,
        isReadableFile: opts.isReadableFile ?? isReadableFileOnDisk,
      })
    : [];

  const config: Config = {
    strict,
    nodeEnv,
    host,
    port,
    managementHost,
    managementPort,
    tls: tlsFiles(tlsPaths),
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    keys: keys.map(withMaskedJson),
    ...(defaultKid !== undefined ? { defaultKid } : {}),
    ...(auditKid !== undefined ? { auditKid } : {}),
    ...(logKid !== undefined ? { logKid } : {}),
    ...(file?.logOrigin !== undefined ? { logOrigin: file.logOrigin } : {}),
    principals,
    multisig: { policies },
    ...(apiKey ? { apiKey } : {}),
    aws,
    logLevel: readLogLevel(e),
    signerId: readSignerId(e, opts.hostname),
    limits: readLimits(e),
    ...(file?.oidc ? { oidc: file.oidc } : {}),
    http: readHttpSettings(e),
    warnings,
  };
  return deepFreeze(config);
}

/** The shortcut key joins the file's keys; it may not take a kid the file already uses. */
function mergeKeys(shortcut: KeyConfig | undefined, file: LoadedConfigFile | undefined): KeyConfig[] {
  const fileKeys = file?.keys ?? [];
  if (shortcut === undefined) return fileKeys;
  const clash = fileKeys.find((k) => k.kid === shortcut.kid);
  if (clash) {
    throw new ConfigError(
      shortcut.source,
      `defines kid "${shortcut.kid}", but ${clash.source} already has it; unset ${shortcut.source} or rename that key`,
    );
  }
  return [shortcut, ...fileKeys];
}

/**
 * A non-enumerable toJSON so that logging a key (or the whole Config) masks a PKCS#11 pin-value;
 * `secret` is a Secret and already prints as "[redacted]".
 */
function withMaskedJson(key: KeyConfig): KeyConfig {
  const copy = { ...key };
  Object.defineProperty(copy, "toJSON", {
    value: () => ({ ...copy, uri: maskUri(copy.uri) }),
    enumerable: false,
  });
  return copy;
}
