import { join } from "node:path";
import type { Config, KeyConfig } from "./types.js";

/** Replace the value of every `pin-value=` attribute in a key URI. */
export function maskUri(uri: string): string {
  return uri.replace(/(pin-value=)[^;&?]*/gi, "$1***");
}

/**
 * A loggable summary of a Config: kids, URIs with PINs masked, listeners, store kind, strict flag.
 * It holds no secret values, only whether each secret is set.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    strict: config.strict,
    nodeEnv: config.nodeEnv,
    signerId: config.signerId,
    listen: { host: config.host, port: config.port },
    management: { host: config.managementHost, port: config.managementPort },
    tls: config.tls,
    dataDir: config.dataDir,
    store: config.databaseUrl
      ? { kind: "postgres" }
      : { kind: "sqlite", path: join(config.dataDir, "signer.db") },
    keys: config.keys.map(describeKey),
    defaultKid: config.defaultKid ?? null,
    auditKid: config.auditKid ?? null,
    logKid: config.logKid ?? null,
    logOrigin: config.logOrigin ?? null,
    principals: config.principals.map((p) => ({ id: p.id, roles: p.roles, keys: p.keys })),
    multisigPolicies: config.multisig.policies.map((p) => ({
      id: p.id,
      threshold: p.threshold,
      signers: p.signers.length,
    })),
    apiKey: config.apiKey !== undefined,
    aws: { region: config.aws.region ?? null, endpoint: config.aws.endpoint ?? null },
    logLevel: config.logLevel,
    limits: config.limits,
    warnings: config.warnings,
  };
}

/** One key, without its secret. */
export function describeKey(key: KeyConfig): Record<string, unknown> {
  return {
    kid: key.kid,
    uri: maskUri(key.uri),
    alg: key.alg,
    status: key.status,
    dev: key.dev,
    emergency: key.emergency,
    source: key.source,
  };
}
