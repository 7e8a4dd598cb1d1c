import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { canonicalBytes, canonicalize, digestHexOf, parseStrictJson } from "./canonical.js";

// The RFC 8785 reference vectors (cyberphone/json-canonicalization), kept outside the repo in /work/shared.
const JCS_DIR = new URL("../../../shared/testdata/jcs/", import.meta.url);

const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

describe("RFC 8785 reference vectors", () => {
  const inputs = readdirSync(new URL("input/", JCS_DIR)).filter((f) => f.endsWith(".json"));

  it("finds the vector files", () => {
    assert.ok(inputs.length >= 6, `only ${inputs.length} vectors in ${JCS_DIR.pathname}`);
  });

  for (const file of inputs) {
    const name = file.slice(0, -".json".length);
    it(`canonicalizes ${name}`, () => {
      const input = readFileSync(new URL(`input/${file}`, JCS_DIR), "utf8");
      const expected = readFileSync(new URL(`output/${file}`, JCS_DIR));
      const hex = readFileSync(new URL(`outhex/${name}.txt`, JCS_DIR), "utf8")
        .split(/\s+/)
        .join("");
      const bytes = canonicalBytes(parseStrictJson(input));
      assert.deepEqual(bytes, expected);
      assert.equal(bytes.toString("hex"), hex);
      assert.equal(canonicalize(parseStrictJson(input)), expected.toString("utf8"));
      assert.equal(digestHexOf(parseStrictJson(input)), sha256(expected));
    });
  }
});

describe("object keys", () => {
  it("sorts by UTF-16 code units, not code points or locale", () => {
    const keys = [
      "\u20ac",
      "\r",
      "1",
      "\ud83d\ude00",
      "\u0080",
      "ö",
      "\ufb33",
      "</script>",
      "peach",
      "péché",
      "pêche",
    ];
    const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
    const sorted = [
      "\r",
      "1",
      "</script>",
      "peach",
      "péché",
      "pêche",
      "\u0080",
      "ö",
      "\u20ac",
      "\ud83d\ude00",
      "\ufb33",
    ];
    // Compared as text: JSON.parse would list the integer-like key "1" first whatever the order.
    const expected = `{${sorted.map((k) => `${JSON.stringify(k)}:${keys.indexOf(k)}`).join(",")}}`;
    assert.equal(canonicalize(obj), expected);
  });

  it("puts U+1F600 before U+FB33 although its code point is larger", () => {
    assert.ok(("\ud83d\ude00".codePointAt(0) ?? 0) > ("\ufb33".codePointAt(0) ?? 0));
    assert.equal(canonicalize({ "\ufb33": 1, "\ud83d\ude00": 2 }), '{"\ud83d\ude00":2,"\ufb33":1}');
    assert.equal(
      canonicalize(parseStrictJson('{"\\ufb33":1,"\\ud83d\\ude00":2}')),
      '{"\ud83d\ude00":2,"\ufb33":1}',
    );
  });

  it("sorts nested objects and keeps array order", () => {
    const text = '{"b":[3,1,{"z":0,"a":[]}],"a":{"d":null,"c":true},"A":false}';
    assert.equal(
      canonicalize(parseStrictJson(text)),
      '{"A":false,"a":{"c":true,"d":null},"b":[3,1,{"a":[],"z":0}]}',
    );
  });

  it("keeps Unicode unnormalized, so NFC and NFD keys stay distinct", () => {
    const text = '{"\\u00e9":1,"e\\u0301":2}';
    assert.equal(canonicalize(parseStrictJson(text)), '{"e\u0301":2,"\u00e9":1}');
  });
});

describe("string escaping", () => {
  it("escapes only quote, backslash and control characters, with short forms where JSON has them", () => {
    const s = "\"\\/\b\t\n\f\r\u0000\u0001\u001f\u007f\u0080\u2028\u2029\ufeff<>&'é😀";
    assert.equal(
      canonicalize(s),
      '"\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u0001\\u001f\u007f\u0080\u2028\u2029\ufeff<>&\'é😀"',
    );
  });

  it("uses lowercase hex in \\u escapes", () => {
    assert.equal(canonicalize(parseStrictJson('"\\u001F\\u000B"')), '"\\u001f\\u000b"');
  });

  it("decodes every escape form", () => {
    const text = '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00E9\\u20ac\\uD83D\\uDE00"';
    assert.equal(parseStrictJson(text), '"\\/\b\f\n\r\tAé€😀');
  });
});

describe("canonicalBytes and digestHexOf", () => {
  it("are UTF-8 bytes and lowercase SHA-256 hex of the canonical text", () => {
    const value = { b: "é", a: [1, "😀"] };
    const text = '{"a":[1,"😀"],"b":"é"}';
    assert.deepEqual(canonicalBytes(value), Buffer.from(text, "utf8"));
    assert.equal(digestHexOf(value), sha256(Buffer.from(text, "utf8")));
    assert.match(digestHexOf(value), /^[0-9a-f]{64}$/);
    assert.equal(digestHexOf({}), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });

  it("gives the same digest for differently formatted but equal JSON", () => {
    const a = parseStrictJson('{ "x" : [ 1.0 , 2e0 ], "y" : "\\u0041" }');
    const b = parseStrictJson('{"y":"A","x":[1,2]}');
    assert.equal(digestHexOf(a), digestHexOf(b));
  });
});
