import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "./config-error.js";
import { type Env, readVar } from "./env.js";
import type { TlsFiles } from "./types.js";

/** The TLS variables by TlsFiles field; the first three are required together. */
export const TLS_VARS = Object.freeze({
  certFile: "TLS_CERT_FILE",
  keyFile: "TLS_KEY_FILE",
  clientCaFile: "TLS_CLIENT_CA_FILE",
  crlFile: "TLS_CRL_FILE",
} as const);

const REQUIRED = ["certFile", "keyFile", "clientCaFile"] as const;

/** TLS file paths as set in the environment, made absolute (SIGHUP reloads must not depend on cwd). */
export type TlsPaths = { readonly [K in keyof TlsFiles]-?: string | undefined };

/** Whether a path is a regular file this process can read. */
export type IsReadableFile = (path: string) => boolean;

/** The real check. */
export const isReadableFileOnDisk: IsReadableFile = (path) => {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Read the four TLS variables. */
export function readTlsPaths(env: Env, cwd: string): TlsPaths {
  const path = (name: string): string | undefined => {
    const value = readVar(env, name);
    return value === undefined ? undefined : resolve(cwd, value);
  };
  return {
    certFile: path(TLS_VARS.certFile),
    keyFile: path(TLS_VARS.keyFile),
    clientCaFile: path(TLS_VARS.clientCaFile),
    crlFile: path(TLS_VARS.crlFile),
  };
}

/**
 * TlsFiles when the required three are set, null when none is. A partial set is refused: half a TLS
 * configuration is a mistake, not a request for `signer dev` defaults.
 */
export function tlsFiles(paths: TlsPaths): TlsFiles | null {
  const { certFile, keyFile, clientCaFile, crlFile } = paths;
  if (certFile !== undefined && keyFile !== undefined && clientCaFile !== undefined) {
    return { certFile, keyFile, clientCaFile, ...(crlFile !== undefined ? { crlFile } : {}) };
  }
  const set = (Object.keys(TLS_VARS) as (keyof TlsPaths)[]).filter((k) => paths[k] !== undefined);
  if (set.length === 0) return null;
  const missing = REQUIRED.filter((k) => paths[k] === undefined).map((k) => TLS_VARS[k]);
  throw new ConfigError(
    missing.join(", "),
    `not set, but ${set.map((k) => TLS_VARS[k]).join(", ")} is; set TLS_CERT_FILE, TLS_KEY_FILE and TLS_CLIENT_CA_FILE together or none of them`,
  );
}

/** Strict mode: each required TLS file (and the CRL when set) must be set and readable. */
export function tlsProblems(paths: TlsPaths, isReadable: IsReadableFile): string[] {
  const problems: string[] = [];
  for (const field of [...REQUIRED, "crlFile"] as const) {
    const path = paths[field];
    if (path === undefined) {
      if (field !== "crlFile") problems.push(`${TLS_VARS[field]} is not set`);
    } else if (!isReadable(path)) {
      problems.push(`${TLS_VARS[field]} (${path}) is not a readable file`);
    }
  }
  return problems;
}
