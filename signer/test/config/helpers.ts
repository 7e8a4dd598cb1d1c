import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { ConfigError, type LoadConfigOptions, loadConfig } from "../../src/config/config.js";
import type { Config } from "../../src/config/types.js";

/** A fixed cwd for tests so relative paths resolve predictably. */
export const CWD = "/srv/signer";

/** An in-memory file system for `readFile`: paths missing from the map fail with ENOENT. */
export function memFiles(files: Record<string, string | Buffer>): (path: string) => Buffer | string {
  return (path) => {
    const content = files[path];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    }
    return content;
  };
}

/** loadConfig with a fixed cwd and host name, and an optional in-memory file system. */
export function load(
  env: Record<string, string>,
  files: Record<string, string | Buffer> = {},
  opts: LoadConfigOptions = {},
): Config {
  return loadConfig(env, { cwd: CWD, hostname: "test-host", readFile: memFiles(files), ...opts });
}

/** loadConfig with SIGNER_CONFIG set to `file` (an object serialised to JSON, or raw text). */
export function loadWithFile(
  file: unknown,
  env: Record<string, string> = {},
  files: Record<string, string | Buffer> = {},
  opts: LoadConfigOptions = {},
): Config {
  const text = typeof file === "string" ? file : JSON.stringify(file);
  return load(
    { SIGNER_CONFIG: "/etc/signer/config.json", ...env },
    { "/etc/signer/config.json": text, ...files },
    opts,
  );
}

/** A fresh PKCS#8 PEM private key. */
export function privatePem(type: "ed25519" | "p256" | "p384" | "rsa2048" | "rsa1024"): string {
  const pair = (() => {
    switch (type) {
      case "ed25519":
        return generateKeyPairSync("ed25519");
      case "p256":
        return generateKeyPairSync("ec", { namedCurve: "P-256" });
      case "p384":
        return generateKeyPairSync("ec", { namedCurve: "P-384" });
      case "rsa2048":
        return generateKeyPairSync("rsa", { modulusLength: 2048 });
      case "rsa1024":
        return generateKeyPairSync("rsa", { modulusLength: 1024 });
    }
  })();
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** A temporary directory removed after the test file finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "signer-config-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Real TLS files (contents do not matter to config) and the env that names them. */
export function tlsEnv(dir: string = tempDir()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, file] of [
    ["TLS_CERT_FILE", "server.crt"],
    ["TLS_KEY_FILE", "server.key"],
    ["TLS_CLIENT_CA_FILE", "ca.crt"],
  ] as const) {
    const path = join(dir, file);
    writeFileSync(path, "placeholder\n");
    env[name] = path;
  }
  return env;
}

/** A 32-byte HMAC secret as text. */
export const HMAC_SECRET = "0123456789abcdef0123456789abcdef-hmac";

/** Capture the ConfigError thrown by `fn` (fails when nothing is thrown). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}
