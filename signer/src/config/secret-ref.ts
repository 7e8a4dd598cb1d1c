import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";
import type { Env } from "./env.js";
import { Secret } from "./secret.js";

/** Reads a file for config (injected in tests). A string result is taken as UTF-8. */
export type ReadFile = (path: string) => Buffer | string;

/** The real file reader. */
export const readFileFromDisk: ReadFile = (path) => readFileSync(path);

/** How to resolve a secret value. */
export interface ResolveOptions {
  /** The variable or config path being resolved, for error messages (e.g. `DATABASE_URL`). */
  readonly name: string;
  /**
   * Raw bytes (HMAC keys): a `file:` secret is used byte for byte. Otherwise the secret is text and
   * one trailing newline is dropped, since `echo value > file` adds one.
   */
  readonly binary?: boolean;
}

/**
 * Resolve a secret-valued setting: `file:/path` → the file's contents, `env:NAME` → that variable,
 * anything else → the literal value. One level only: a referenced value is taken literally, so
 * references cannot loop. Errors name the setting and the reference, never the secret.
 */
export function resolveSecret(value: string, env: Env, readFile: ReadFile, opts: ResolveOptions): Secret {
  let bytes: Buffer;
  if (value.startsWith("file:")) {
    const path = value.slice("file:".length);
    if (path === "") throw new ConfigError(opts.name, "file: reference without a path");
    bytes = readSecretFile(path, readFile, opts);
  } else if (value.startsWith("env:")) {
    const ref = value.slice("env:".length);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) {
      throw new ConfigError(opts.name, "env: reference is not a valid variable name");
    }
    const referenced = env[ref];
    if (referenced === undefined || referenced === "") {
      throw new ConfigError(opts.name, `env:${ref} refers to variable ${ref}, which is not set`);
    }
    bytes = Buffer.from(referenced, "utf8");
  } else {
    bytes = Buffer.from(value, "utf8");
  }
  if (bytes.length === 0) throw new ConfigError(opts.name, "the secret is empty");
  return new Secret(bytes);
}

function readSecretFile(path: string, readFile: ReadFile, opts: ResolveOptions): Buffer {
  let content: Buffer | string;
  try {
    content = readFile(path);
  } catch (err) {
    // Only the errno code: fs messages are safe, but a custom reader's might not be.
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    throw new ConfigError(opts.name, `cannot read file:${path}${code ? ` (${code})` : ""}`);
  }
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  if (opts.binary) return bytes;
  return trimOneNewline(bytes);
}

function trimOneNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) {
    end--;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
  }
  return bytes.subarray(0, end);
}
