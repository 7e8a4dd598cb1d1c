// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form that gets hashed and signed.
import { createHash } from "node:crypto";
import {
  CanonicalizationError,
  type CanonicalLimits,
  excerpt,
  LONE_SURROGATE,
  resolveLimits,
} from "./json-scanner.js";

export {
  CanonicalizationError,
  type CanonicalizationReason,
  type CanonicalLimits,
  DEFAULT_CANONICAL_LIMITS,
  parseStrictJson,
} from "./json-scanner.js";

/** Serializes a JSON value per RFC 8785; throws CanonicalizationError for anything without one canonical form. */
export function canonicalize(value: unknown, limits?: CanonicalLimits): string {
  const { maxDepth, maxBytes } = resolveLimits(limits);
  const writer = new Writer(maxDepth, maxBytes);
  writer.write(value, 0);
  const text = writer.out;
  // The running count is in UTF-16 units, a lower bound on UTF-8 bytes; settle the exact size once.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes) writer.tooLarge();
  return text;
}

/** The UTF-8 bytes of canonicalize(value). */
export function canonicalBytes(value: unknown, limits?: CanonicalLimits): Buffer {
  return Buffer.from(canonicalize(value, limits), "utf8");
}

/** Lowercase hex SHA-256 of the canonical UTF-8 bytes: the `digestHex` that gets signed (A4). */
export function digestHexOf(value: unknown, limits?: CanonicalLimits): string {
  // Lone surrogates were refused, so hashing the string as UTF-8 hashes exactly canonicalBytes(value).
  return createHash("sha256").update(canonicalize(value, limits), "utf8").digest("hex");
}

class Writer {
  // Built with += (V8 cons-strings): 12 ms vs 15 ms with parts.join for a 420 kB document.
  out = "";
  // Ancestors of the value being written: a repeat is a cycle, while shared siblings are fine.
  private readonly ancestors = new Set<object>();

  constructor(
    private readonly maxDepth: number,
    private readonly maxBytes: number,
  ) {}

  write(value: unknown, depth: number): void {
    if (typeof value === "object" && value !== null) this.writeContainer(value, depth);
    else this.emit(scalar(value));
  }

  tooLarge(): never {
    throw new CanonicalizationError("too-large", `canonical JSON exceeds ${this.maxBytes} bytes`);
  }

  private writeContainer(value: object, depth: number): void {
    if (this.ancestors.has(value)) {
      throw new CanonicalizationError("cycle", "value contains a reference cycle");
    }
    // Refuse before descending, mirroring parseStrictJson, so both agree on what is too deep.
    if (depth >= this.maxDepth) {
      throw new CanonicalizationError("too-deep", `value nesting exceeds ${this.maxDepth} levels`);
    }
    this.ancestors.add(value);
    if (Array.isArray(value)) this.writeArray(value, depth + 1);
    else this.writeObject(value, depth + 1);
    this.ancestors.delete(value);
  }

  private writeArray(arr: readonly unknown[], depth: number): void {
    this.emit("[");
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) this.emit(",");
      this.write(arr[i], depth);
    }
    this.emit("]");
  }

  private writeObject(obj: object, depth: number): void {
    const proto: unknown = Object.getPrototypeOf(obj);
    // Dates, Maps, Buffers and class instances would serialize lossily (or as {}); only plain data is signed.
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: unknown } }).constructor?.name;
      throw new CanonicalizationError(
        "unsupported-type",
        `a ${typeof kind === "string" ? excerpt(kind) : "non-plain"} object cannot be canonicalized`,
      );
    }
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record).sort();
    this.emit("{");
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.emit(i > 0 ? `,${quote(key)}:` : `${quote(key)}:`);
      this.write(record[key], depth);
    }
    this.emit("}");
  }

  private emit(s: string): void {
    this.out += s;
    // Checked as we go so shared sub-trees (a DAG built in code) cannot blow up memory before the end.
    if (this.out.length > this.maxBytes) this.tooLarge();
  }
}

function scalar(value: unknown): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      // RFC 8785 §3.2.2.3 is ECMAScript Number::toString, which also prints -0 as "0".
      if (!Number.isFinite(value)) {
        throw new CanonicalizationError("non-finite-number", `${value} has no JSON form`);
      }
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return "null"; // only null reaches here
    default:
      // undefined, functions, symbols and bigints have no (or no lossless) JSON form; never drop them silently.
      throw new CanonicalizationError("unsupported-type", `${typeof value} values cannot be canonicalized`);
  }
}

// Strings with none of these need neither escaping nor a surrogate check: most keys and values.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  // A lone surrogate has no UTF-8 encoding, so its bytes (and hash) would depend on the encoder.
  if (LONE_SURROGATE.test(s)) {
    throw new CanonicalizationError("lone-surrogate", "string contains a lone surrogate");
  }
  // With lone surrogates gone, JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 specifies.
  return JSON.stringify(s);
}
