import { inspect } from "node:util";

/**
 * A secret value that never prints: JSON, string conversion and util.inspect all show a placeholder,
 * so a config object can be logged without leaking key material, PINs or API keys.
 */
export class Secret {
  readonly #value: Buffer;

  constructor(value: Buffer | string) {
    this.#value = Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(value, "utf8");
  }

  /** The raw bytes; call only where the secret is used. */
  reveal(): Buffer {
    return this.#value;
  }

  /** The value as UTF-8 text. */
  revealText(): string {
    return this.#value.toString("utf8");
  }

  toJSON(): string {
    return "[redacted]";
  }

  toString(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "Secret([redacted])";
  }
}
