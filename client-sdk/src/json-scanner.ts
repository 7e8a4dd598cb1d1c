// Strict JSON (RFC 8259) parser for inputs that will be canonicalized and signed. Hand-written because
// JSON.parse silently keeps the last of duplicate keys and accepts lone surrogates, and no maintained
// library that client-sdk may depend on (node built-ins only) refuses both.

/** Why a value was refused by parseStrictJson or canonicalize; callers switch on it. */
export type CanonicalizationReason =
  | "duplicate-key"
  | "lone-surrogate"
  | "non-finite-number"
  | "too-deep"
  | "too-large"
  | "invalid-json"
  | "unsupported-type"
  | "cycle";

/** Refusal raised by parseStrictJson and canonicalize; the message is safe to show to clients. */
export class CanonicalizationError extends Error {
  override readonly name = "CanonicalizationError";
  readonly reason: CanonicalizationReason;

  constructor(reason: CanonicalizationReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Resource limits for parseStrictJson and canonicalize (depth counts nested arrays/objects). */
export interface CanonicalLimits {
  maxDepth?: number;
  maxBytes?: number;
}

/** Limits used when a caller gives none: 64 levels of nesting, 1 MiB of UTF-8. */
export const DEFAULT_CANONICAL_LIMITS: Readonly<Required<CanonicalLimits>> = Object.freeze({
  maxDepth: 64,
  maxBytes: 1024 * 1024,
});

// Both parser and serializer recurse once per nesting level; this cap keeps them far from the V8 stack limit.
const MAX_DEPTH_CAP = 1000;

/** Validates limits and fills defaults (a bad limit is a programming error, hence RangeError). */
export function resolveLimits(limits: CanonicalLimits | undefined): Required<CanonicalLimits> {
  const maxDepth = limits?.maxDepth ?? DEFAULT_CANONICAL_LIMITS.maxDepth;
  const maxBytes = limits?.maxBytes ?? DEFAULT_CANONICAL_LIMITS.maxBytes;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > MAX_DEPTH_CAP) {
    throw new RangeError(`maxDepth must be an integer in [0, ${MAX_DEPTH_CAP}]`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError("maxBytes must be a non-negative safe integer");
  }
  return { maxDepth, maxBytes };
}

/** True when s holds a high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A short, quoted, ASCII-only excerpt of attacker-controlled text for error messages. */
export function excerpt(s: string): string {
  const quoted = JSON.stringify(s.length > 32 ? `${s.slice(0, 32)}...` : s);
  // Escaping non-ASCII keeps BOMs, bidi controls and stray surrogates visible and harmless in logs.
  return quoted.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Parses JSON text, refusing duplicate keys, lone surrogates, non-finite numbers and oversize input. */
export function parseStrictJson(text: string, limits?: CanonicalLimits): unknown {
  const { maxDepth, maxBytes } = resolveLimits(limits);
  if (typeof text !== "string") throw new TypeError("parseStrictJson expects a string");
  // UTF-8 never takes fewer bytes than UTF-16 code units, so only measure when the length is ambiguous.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes)) {
    throw new CanonicalizationError("too-large", `JSON text exceeds ${maxBytes} bytes`);
  }
  return new Scanner(text, maxDepth).parseDocument();
}

// Character codes the scanner dispatches on.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const L_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const R_BRACKET = 0x5d;
const LOWER_A = 0x61;
const LOWER_D = 0x64;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_U = 0x75;
const L_BRACE = 0x7b;
const R_BRACE = 0x7d;

// Characters allowed after a backslash besides u (RFC 8259 §7): " \\ / b f n r t.
const SIMPLE_ESCAPES: ReadonlySet<number> = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

function isHex(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c >= ZERO && c <= NINE) return true;
  const folded = c | 0x20; // A-F onto a-f; only letters may be folded, or U+0010 would pass as "0"
  return folded >= LOWER_A && folded <= LOWER_F;
}

class Scanner {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): unknown {
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail("expected end of input after the value");
    return value;
  }

  private parseValue(depth: number): unknown {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case L_BRACE:
      case L_BRACKET:
        // Refuse before descending so hostile nesting never grows the stack past maxDepth.
        if (depth >= this.maxDepth) {
          throw new CanonicalizationError("too-deep", `JSON nesting exceeds ${this.maxDepth} levels`);
        }
        return c === L_BRACE ? this.parseObject(depth + 1) : this.parseArray(depth + 1);
      case QUOTE:
        return this.parseString();
      case 0x74: // t
        return this.parseLiteral("true", true);
      case 0x66: // f
        return this.parseLiteral("false", false);
      case 0x6e: // n
        return this.parseLiteral("null", null);
      default:
        if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
        return this.fail("expected a value");
    }
  }

  private parseObject(depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.pos++; // {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === R_BRACE) {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail("expected a string key");
      const keyStart = this.pos;
      const key = this.parseString();
      // Compared after unescaping, so {"a":1,"\u0061":2} is caught; JSON.parse would keep the last one.
      if (Object.hasOwn(obj, key)) {
        throw new CanonicalizationError(
          "duplicate-key",
          `duplicate object key ${excerpt(key)} at offset ${keyStart}`,
        );
      }
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== COLON) this.fail("expected ':'");
      this.pos++;
      const value = this.parseValue(depth);
      // defineProperty keeps "__proto__" an own data key instead of invoking the prototype setter.
      if (key === "__proto__") {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === R_BRACE) return obj;
      if (c !== COMMA) this.fail("expected ',' or '}'", this.pos - 1);
    }
  }

  private parseArray(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === R_BRACKET) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === R_BRACKET) return arr;
      if (c !== COMMA) this.fail("expected ',' or ']'", this.pos - 1);
    }
  }

  private parseString(): string {
    const { text } = this;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    let sawSurrogate = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const e = text.charCodeAt(i + 1);
        if (e === LOWER_U) {
          if (!(isHex(text, i + 2) && isHex(text, i + 3) && isHex(text, i + 4) && isHex(text, i + 5))) {
            this.fail("invalid \\u escape", i);
          }
          // \uD800-\uDFFF: the only escapes that can produce a surrogate.
          sawSurrogate ||= (text.charCodeAt(i + 2) | 0x20) === LOWER_D && text.charCodeAt(i + 3) >= 0x38;
          i += 6;
        } else if (SIMPLE_ESCAPES.has(e)) {
          i += 2;
        } else {
          this.fail("invalid escape", i);
        }
        escaped = true;
      } else if (c >= SPACE) {
        if (c >= 0xd800 && c <= 0xdfff) sawSurrogate = true;
        i++;
      } else {
        // Also reached at end of input, where charCodeAt gives NaN.
        this.fail("unescaped control character in string", i);
      }
    }
    this.pos = i + 1;
    // The literal is validated above, so native JSON.parse may decode it: 1 MB of escapes in 2.7 ms, not 19.
    const value: string = escaped ? JSON.parse(text.slice(start, i + 1)) : text.slice(start + 1, i);
    // Checked on the decoded string: a lone half has no UTF-8 form, so it cannot be hashed faithfully.
    if (sawSurrogate && LONE_SURROGATE.test(value)) {
      throw new CanonicalizationError(
        "lone-surrogate",
        `string at offset ${start} contains a lone surrogate`,
      );
    }
    return value;
  }

  private parseNumber(): number {
    const { text } = this;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === ZERO) i++;
    else if (first > ZERO && first <= NINE) i = this.skipDigits(i);
    else this.fail("invalid number", i);
    if (text.charCodeAt(i) === DOT) i = this.requireDigits(i + 1);
    const e = text.charCodeAt(i);
    if (e === LOWER_E || e === UPPER_E) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
      i = this.requireDigits(i);
    }
    this.pos = i;
    const value = Number(text.slice(start, i));
    // 1e400 is valid grammar but has no IEEE-754 value, so it cannot have a canonical form.
    if (!Number.isFinite(value)) {
      throw new CanonicalizationError("non-finite-number", `number at offset ${start} is out of range`);
    }
    return value;
  }

  private requireDigits(i: number): number {
    const c = this.text.charCodeAt(i);
    if (!(c >= ZERO && c <= NINE)) this.fail("invalid number", i);
    return this.skipDigits(i);
  }

  private skipDigits(i: number): number {
    let j = i;
    for (let c = this.text.charCodeAt(j); c >= ZERO && c <= NINE; c = this.text.charCodeAt(++j));
    return j;
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("expected a value");
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    const { text } = this;
    let i = this.pos;
    for (
      let c = text.charCodeAt(i);
      c === SPACE || c === LF || c === CR || c === TAB;
      c = text.charCodeAt(++i)
    );
    this.pos = i;
  }

  private fail(what: string, at: number = this.pos): never {
    const found =
      at < this.text.length ? `${what}, found ${excerpt(this.text.charAt(at))}` : "unexpected end of input";
    throw new CanonicalizationError("invalid-json", `invalid JSON: ${found} at offset ${at}`);
  }
}
