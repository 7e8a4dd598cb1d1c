import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CanonicalizationError, canonicalize, parseStrictJson } from "./canonical.js";

// Nesting stays well under the default maxDepth of 64; strings use every code point of every plane.
const jsonValue = fc.jsonValue({ maxDepth: 8, stringUnit: "binary" });

// An oracle written independently of canonical.ts: RFC 8785 expressed through JSON.stringify.
function referenceJcs(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(referenceJcs).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceJcs(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

// Also independent of canonical.ts: for..of walks code points and yields unpaired halves on their own.
function isWellFormed(s: string): boolean {
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) return false;
  }
  return true;
}

// Drops the characters that may not appear unescaped inside a JSON string.
function withoutJsonSpecials(s: string): string {
  return [...s].filter((ch) => ch >= " " && ch !== '"' && ch !== "\\").join("");
}

// Every code unit as a \u escape in random letter case, to exercise the escape decoder.
function escapeAll(s: string, upper: boolean): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const hex = s.charCodeAt(i).toString(16).padStart(4, "0");
    out += `\\u${upper ? hex.toUpperCase() : hex}`;
  }
  return out;
}

describe("canonical JSON properties", () => {
  it("canonicalize is idempotent through parseStrictJson", () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const c = canonicalize(v);
        assert.equal(canonicalize(parseStrictJson(c)), c);
      }),
    );
  });

  it("canonicalize matches a JSON.stringify-based reference with sorted keys", () => {
    fc.assert(fc.property(jsonValue, (v) => assert.equal(canonicalize(v), referenceJcs(v))));
  });

  it("parseStrictJson agrees with JSON.parse on valid duplicate-free JSON, however it is formatted", () => {
    const indent = fc.constantFrom<string | number | undefined>(undefined, 0, 1, 4, "\t", "\r\n");
    fc.assert(
      fc.property(jsonValue, indent, (v, space) => {
        const text = JSON.stringify(v, null, space);
        assert.deepStrictEqual(parseStrictJson(text), JSON.parse(text));
        assert.equal(canonicalize(parseStrictJson(text)), canonicalize(v));
      }),
    );
  });

  it("decodes fully escaped strings to the original", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.boolean(), (s, upper) => {
        assert.equal(parseStrictJson(`"${escapeAll(s, upper)}"`), s);
      }),
    );
  });

  it("refuses exactly the strings that hold a lone surrogate", () => {
    const unit = fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(fc.string({ unit }), (s) => {
        const escaped = JSON.stringify(s);
        if (isWellFormed(s)) {
          assert.equal(canonicalize(s), escaped);
          assert.equal(parseStrictJson(escaped), s);
          const raw = withoutJsonSpecials(s);
          assert.equal(parseStrictJson(`"${raw}"`), raw);
        } else {
          assert.throws(() => canonicalize(s), { reason: "lone-surrogate" });
          assert.throws(() => parseStrictJson(escaped), { reason: "lone-surrogate" });
          assert.throws(() => parseStrictJson(`{${escaped}:1}`), { reason: "lone-surrogate" });
        }
      }),
    );
  });

  it("is never more lenient than JSON.parse, and refuses only with CanonicalizationError", () => {
    const token = fc.constantFrom(
      ...'{}[],:"\\ u0123456789abcdefE.-+'.split(""),
      "true",
      "null",
      '"a"',
      "\t",
      "1e400",
    );
    const text = fc.oneof(
      fc.array(token, { maxLength: 30 }).map((t) => t.join("")),
      fc.string({ unit: "binary" }),
      fc
        .json()
        .chain((j) =>
          fc.nat({ max: j.length }).chain((at) => token.map((t) => j.slice(0, at) + t + j.slice(at + 1))),
        ),
    );
    fc.assert(
      fc.property(text, (t) => {
        let parsed: unknown;
        try {
          parsed = parseStrictJson(t);
        } catch (err) {
          assert.ok(err instanceof CanonicalizationError, String(err));
          return;
        }
        assert.deepStrictEqual(parsed, JSON.parse(t));
      }),
      { numRuns: 2000 },
    );
  });
});
