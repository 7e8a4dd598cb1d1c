import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CanonicalizationError,
  type CanonicalizationReason,
  canonicalize,
  digestHexOf,
  parseStrictJson,
} from "./canonical.js";

function assertRefused(
  fn: () => unknown,
  reason: CanonicalizationReason,
  label?: string,
): CanonicalizationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof CanonicalizationError,
    `${label ?? ""}: expected a refusal, got ${String(caught)}`,
  );
  assert.equal(caught.reason, reason, `${label ?? ""}: ${caught.message}`);
  assert.equal(caught.name, "CanonicalizationError");
  return caught;
}

const refuseText = (text: string, reason: CanonicalizationReason): CanonicalizationError =>
  assertRefused(() => parseStrictJson(text), reason, JSON.stringify(text));

const nested = (open: string, inner: string, close: string, n: number): string =>
  open.repeat(n) + inner + close.repeat(n);

describe("parseStrictJson refusals", () => {
  it("refuses duplicate keys, also when they differ only by escaping", () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"a":1,"\\u0061":2}',
      '{"\\u0061":1,"a":1}',
      '{"é":1,"\\u00e9":2}',
      '{"/":1,"\\/":2}',
      '{"\\ud83d\\ude00":1,"😀":2}',
      '{"x":{"b":1,"c":2,"b":1}}',
      '[{"a":1},{"a":1,"a":1}]',
      '{"__proto__":1,"__proto__":2}',
      '{"constructor":1,"constructor":1}',
    ]) {
      refuseText(text, "duplicate-key");
    }
  });

  it("accepts the same key in sibling objects, and keys named like Object.prototype members", () => {
    assert.equal(canonicalize(parseStrictJson('[{"a":1},{"a":2}]')), '[{"a":1},{"a":2}]');
    assert.equal(
      canonicalize(parseStrictJson('{"toString":1,"hasOwnProperty":2}')),
      '{"hasOwnProperty":2,"toString":1}',
    );
  });

  it("refuses lone surrogates, escaped or raw, in strings and in keys", () => {
    for (const text of [
      '"\\ud800"',
      '"\\udc00"',
      '"\\udbff\\u0041"',
      '"x\\ud83d"',
      '"\\ude00\\ud83d"',
      '{"\\ud800":1}',
      '"\ud800"',
      '"a\udfffb"',
      '{"\udc00":1}',
      '["\ud83d"]',
    ]) {
      refuseText(text, "lone-surrogate");
    }
  });

  it("accepts surrogate pairs, escaped, raw, or an escaped high half joined to a raw low half", () => {
    for (const text of ['"\\ud83d\\ude00"', '"\ud83d\ude00"', '"\\ud83d\ude00"', '"\\uD83D\\uDE00"']) {
      assert.equal(parseStrictJson(text), "😀", text);
    }
  });

  it("refuses numbers that overflow to Infinity", () => {
    for (const text of ["1e400", "-1e400", "[1E+400]", '{"a":123e99999}', `1${"0".repeat(400)}`]) {
      refuseText(text, "non-finite-number");
    }
  });

  it("refuses nesting deeper than maxDepth, checked before descending", () => {
    assert.deepEqual(parseStrictJson(nested("[", "", "]", 64)), JSON.parse(nested("[", "", "]", 64)));
    refuseText(nested("[", "", "]", 65), "too-deep");
    refuseText(nested('{"a":', "1", "}", 65), "too-deep");
    assert.equal(parseStrictJson('{"a":[1]}', { maxDepth: 2 }) !== undefined, true);
    assertRefused(() => parseStrictJson('{"a":[[1]]}', { maxDepth: 2 }), "too-deep");
    assertRefused(() => parseStrictJson("[]", { maxDepth: 0 }), "too-deep");
    assert.equal(parseStrictJson('"scalar"', { maxDepth: 0 }), "scalar");
    // A million open brackets must fail fast with a refusal, never a stack overflow.
    refuseText("[".repeat(1_000_000), "too-deep");
  });

  it("refuses text over maxBytes, counted in UTF-8 bytes", () => {
    refuseText(`"${"a".repeat(1024 * 1024)}"`, "too-large");
    assert.equal(parseStrictJson('"éééé"', { maxBytes: 10 }), "éééé");
    assertRefused(() => parseStrictJson('"ééééé"', { maxBytes: 10 }), "too-large");
    assertRefused(() => parseStrictJson('"€€€€"', { maxBytes: 13 }), "too-large");
  });

  it("refuses every other kind of invalid JSON", () => {
    const invalid = [
      ...["", " ", "\ufeff{}", "\ufeff1", "\u00a01", "\v1", "\f1", "1\u2028"],
      ...["{'a':1}", "['a']", "{a:1}", "{1:2}", '{"a" 1}', '{"a":1 "b":2}', "[1 2]", '{"a"}'],
      ...['{"a":1,}', "[1,]", "[,1]", "[,]", '{,"a":1}', "{,}"],
      ...["// c\n1", "/* c */1", "1 // c", "# c\n1"],
      ...['{"a":1} x', "[1] [2]", "1 2", '"a""b"', "{}}", "[]]", "null,"],
      ...[
        "NaN",
        "Infinity",
        "-Infinity",
        "+1",
        "01",
        "-01",
        "00",
        "1.",
        ".5",
        "-.5",
        "1e",
        "1e+",
        "1.e1",
        "0x10",
      ],
      ...["-", "--1", "1_000", "tru", "True", "nul", "NULL", "undefined", "falsey"],
      ...['"abc', '"\\x41"', '"\\u12"', '"\\u12g4"', '"\\U0041"', '"\\a"', '"\\', '"\\u', '"a\\"'],
      ...['"a\tb"', '"a\nb"', '"\u0000"', '"\u001f"'],
      ...["[", "{", '{"a":', '{"a"', "[1,", '{"a":1,', "]", "}", ":", ","],
    ];
    for (const text of invalid) refuseText(text, "invalid-json");
  });

  it("refuses \\u escapes whose digits are control characters that fold onto hex digits", () => {
    // U+0010..U+0019 | 0x20 equals "0".."9"; a case-folding hex check must not let them through.
    for (const text of ['"\\u00\u0010\u0011"', '"\\u\u0010\u0011\u0012\u0013"', '"\\u00\u0001\u0006"']) {
      refuseText(text, "invalid-json");
    }
    assert.equal(parseStrictJson('"\\u00aF\\u00Af"'), "\u00af\u00af");
  });

  it("keeps error messages short and free of raw input", () => {
    const longKey = "k".repeat(100_000);
    const dup = refuseText(`{"${longKey}":1,"${longKey}":2}`, "duplicate-key");
    assert.ok(dup.message.length < 120, dup.message);
    const bad = refuseText(`["${"x".repeat(100_000)}", \u202eoops]`, "invalid-json");
    assert.ok(bad.message.length < 120, bad.message);
    assert.match(bad.message, /^[\x20-\x7e]*$/, "non-ASCII input is escaped in messages");
  });
});

describe("__proto__ and other prototype keys", () => {
  it("parses __proto__ as an own data key without touching any prototype", () => {
    const value = parseStrictJson(
      '{"__proto__":{"polluted":true},"a":{"__proto__":{"isAdmin":true}}}',
    ) as Record<string, Record<string, unknown>>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Object.hasOwn(value, "__proto__"));
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
    assert.equal(value.a?.isAdmin, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { isAdmin?: unknown }).isAdmin, undefined);
  });

  it("canonicalizes __proto__ like any other key, sorted by code units", () => {
    const text = '{"b":1,"__proto__":{"z":1,"y":2},"a":0,"constructor":{"prototype":3}}';
    assert.equal(
      canonicalize(parseStrictJson(text)),
      '{"__proto__":{"y":2,"z":1},"a":0,"b":1,"constructor":{"prototype":3}}',
    );
    assert.deepEqual(parseStrictJson(text), JSON.parse(text));
  });

  it("canonicalizes __proto__ given as a computed key and objects without a prototype", () => {
    assert.equal(canonicalize({ ["__proto__"]: [1] }), '{"__proto__":[1]}');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    assert.equal(canonicalize(bare), '{"a":2,"b":1}');
  });
});

describe("canonicalize refusals", () => {
  class Point {
    constructor(readonly x = 1) {}
  }

  it("refuses values with no JSON form instead of dropping them", () => {
    const unsupported: unknown[] = [
      undefined,
      () => 1,
      Symbol("s"),
      10n,
      { a: undefined },
      [undefined],
      new Array(2),
      new Date(0),
      new Map([["a", 1]]),
      new Set([1]),
      Buffer.from("a"),
      new Uint8Array(2),
      new Point(),
      new String("x"),
      /re/,
      { nested: { fn: () => 1 } },
    ];
    for (const value of unsupported)
      assertRefused(() => canonicalize(value), "unsupported-type", String(value));
  });

  it("refuses non-finite numbers", () => {
    for (const value of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      [1, Number.NaN],
      { a: -Infinity },
    ]) {
      assertRefused(() => canonicalize(value), "non-finite-number");
    }
  });

  it("refuses lone surrogates in strings and keys", () => {
    for (const value of ["\ud800", "a\udc00", ["\ude00\ud83d"], { "\ud83d": 1 }, { a: { b: "x\udbff" } }]) {
      assertRefused(() => canonicalize(value), "lone-surrogate");
      assertRefused(() => digestHexOf(value), "lone-surrogate");
    }
  });

  it("refuses cycles but accepts shared, acyclic references", () => {
    const obj: Record<string, unknown> = { a: 1 };
    obj.self = obj;
    assertRefused(() => canonicalize(obj), "cycle");
    const arr: unknown[] = [1];
    arr.push({ back: [arr] });
    assertRefused(() => canonicalize(arr), "cycle");
    const shared = { x: 1 };
    assert.equal(canonicalize({ a: shared, b: [shared, shared] }), '{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });

  it("refuses nesting deeper than maxDepth, as parseStrictJson does", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = [deep];
    assert.equal(canonicalize(deep), nested("[", "1", "]", 64));
    assertRefused(() => canonicalize([deep]), "too-deep");
    assertRefused(() => canonicalize({ a: [] }, { maxDepth: 1 }), "too-deep");
  });

  it("refuses output over maxBytes, including shared sub-trees that would explode", () => {
    let dag: unknown = "x".repeat(16);
    for (let i = 0; i < 50; i++) dag = [dag, dag];
    assertRefused(() => canonicalize(dag), "too-large");
    assert.equal(canonicalize("éééé", { maxBytes: 10 }), '"éééé"');
    assertRefused(() => canonicalize("ééééé", { maxBytes: 10 }), "too-large");
  });

  it("rejects malformed limits as programming errors", () => {
    for (const limits of [
      { maxDepth: -1 },
      { maxDepth: 1.5 },
      { maxDepth: 1001 },
      { maxBytes: Number.NaN },
    ]) {
      assert.throws(() => canonicalize(1, limits), RangeError);
      assert.throws(() => parseStrictJson("1", limits), RangeError);
    }
  });
});
