// Why the adapter can keep only `payload jsonb` and still re-verify every hash: jsonb changes key
// order, whitespace and number spelling, but its text parses back to the same JSON values, and the
// hash is over their RFC 8785 form. Hashing any text PostgreSQL returns would not round-trip.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { canonicalize, parseStrictJson } from "@signing-proxy/client-sdk";
import fc from "fast-check";
import pg from "pg";
import { insertAuditEvent, migrate, verifyAuditChain } from "../../memory-layer-adapter/src/index.js";
import { fakeSigner } from "../../memory-layer-adapter/test/fake-signer.js";
import { createPgSchema, type PgSchema, withPostgres } from "../helpers/process-fixture.js";

/** Payloads whose jsonb text differs from their canonical text, and some that tempt mistakes. */
const EDGE_PAYLOADS: readonly unknown[] = [
  { n: 1.0, m: 1.5, z: -0 },
  { big: 1e21, small: 1e-7, tiny: 5e-324, max: 1.7976931348623157e308, neg: -1e-300 },
  { sum: 0.1 + 0.2, third: 1 / 3, unsafe: Number("9007199254740993"), e: 2.5e-5 },
  { é: 1, e: 2, "😀": 3, "\u2028": 4, Z: 5, a: 6, "\u007f": 7, "€": 8, ab: 9, b: 10 },
  { nested: { z: [{ y: 1, x: [1e22, { b: null, a: false }] }], a: '\u0001\u001f"\\/' } },
  ["\ud83d\ude00", "\u00e9", "e\u0301", "\ufeff", "line\nbreak\ttab"],
  { __proto__: 1, constructor: { prototype: 2 } } as unknown,
  "just a string",
  12345.678,
  null,
  [],
  {},
];

withPostgres("jsonb round trip", (pgUrl) => {
  describe("jsonb round trip", { timeout: 30_000 }, () => {
    let schema: PgSchema;
    let pool: pg.Pool;
    before(async () => {
      schema = await createPgSchema(pgUrl);
      pool = new pg.Pool({ connectionString: schema.url, max: 4 });
      await migrate(pool);
      await pool.query("CREATE TABLE jsonb_probe (i integer PRIMARY KEY, payload jsonb NOT NULL)");
    });
    after(async () => {
      await pool.end();
      await schema.drop();
    });

    /** Store values as the adapter does (JSON.stringify → jsonb) and read the jsonb text back. */
    async function roundTrip(values: readonly unknown[]): Promise<string[]> {
      await pool.query("DELETE FROM jsonb_probe");
      const params = values.map((v) => JSON.stringify(v));
      const placeholders = params.map((_, i) => `(${i}, $${i + 1}::jsonb)`).join(",");
      await pool.query(`INSERT INTO jsonb_probe (i, payload) VALUES ${placeholders}`, params);
      const res = await pool.query<{ t: string }>("SELECT payload::text AS t FROM jsonb_probe ORDER BY i");
      return res.rows.map((r) => r.t);
    }

    test("canonicalize(parse(jsonb text)) equals the canonical form hashed before the INSERT", async () => {
      const texts = await roundTrip(EDGE_PAYLOADS);
      EDGE_PAYLOADS.forEach((value, i) => {
        assert.equal(canonicalize(parseStrictJson(texts[i]!)), canonicalize(value), texts[i]);
      });
    });

    test("…whereas the jsonb text itself is not the canonical text (so hashing it would fail)", async () => {
      const [numbers, big, , keys] = await roundTrip(EDGE_PAYLOADS);
      assert.equal(numbers, '{"m": 1.5, "n": 1, "z": 0}', "whitespace differs");
      assert.notEqual(big, canonicalize(EDGE_PAYLOADS[1]));
      assert.match(big!, /"big": 1000000000000000000000\b/, "1e21 comes back as 22 digits");
      assert.match(big!, /"small": 0\.0000001\b/, "1e-7 comes back in plain notation");
      // jsonb orders keys by byte length, then bytes; RFC 8785 by UTF-16 code units.
      assert.ok(keys!.indexOf('"b"') < keys!.indexOf('"ab"'), keys);
      const canonical = canonicalize(EDGE_PAYLOADS[3]);
      assert.ok(canonical.indexOf('"ab"') < canonical.indexOf('"b"'), canonical);
    });

    test("numeric spellings another writer stores (1.0, 1E+21, 10e-8) read back as the same numbers", async () => {
      const res = await pool.query<{ t: string }>(
        `SELECT '{"a": 1.0, "b": 1E+21, "c": 10e-8, "d": -0.0}'::jsonb::text AS t`,
      );
      const text = res.rows[0]!.t;
      assert.match(text, /"a": 1\.0/, "jsonb keeps the scale of 1.0");
      assert.equal(canonicalize(parseStrictJson(text)), '{"a":1,"b":1e+21,"c":1e-7,"d":0}');
    });

    test("property: any JSON value (every code point, any finite double) round-trips", async () => {
      const values = fc.sample(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }),
          fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 }),
        ),
        { numRuns: 400, seed: 8785 },
      );
      // PostgreSQL text cannot hold U+0000 (the adapter refuses it up front).
      const storable = values.filter((v) => !JSON.stringify(v).includes("\\u0000"));
      assert.ok(storable.length > 300);
      const texts = await roundTrip(storable);
      storable.forEach((value, i) => {
        assert.equal(canonicalize(parseStrictJson(texts[i]!)), canonicalize(value), texts[i]);
      });
    });

    test("the adapter end to end: every edge payload inserted, every hash recomputed from jsonb", async () => {
      const signer = fakeSigner();
      for (const payload of EDGE_PAYLOADS)
        await insertAuditEvent(pool, { eventType: "edge", payload }, { signer });
      assert.deepEqual(await verifyAuditChain(pool, { keys: signer.keys }), {
        ok: true,
        count: EDGE_PAYLOADS.length,
      });
    });
  });
});
