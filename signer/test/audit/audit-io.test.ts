import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { exportLine, writeJsonlExport } from "../../src/audit/export-jsonl.js";
import { AuditSourceError, verifyAuditChain } from "../../src/audit/verify-chain.js";
import { AUDIT_EVENT_FIELDS } from "../../src/audit/verify-event-shape.js";
import { parseSignersJson } from "../../src/audit/verify-keys.js";
import { jsonlEvents, MAX_JSONL_LINE_BYTES, storeEvents } from "../../src/audit/verify-sources.js";
import type { AuditEvent } from "../../src/store/store.js";
import { KEYS, SEALER, sealedChain } from "./chain-fixture.js";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("jsonlEvents", () => {
  test("splits lines across any chunking, including inside multi-byte characters", async () => {
    const text = '{"a":"é☃"}\r\n{"b":2}\n{"c":3}';
    const bytes = Buffer.from(text, "utf8");
    const oneByteChunks = Array.from(bytes, (b) => Buffer.of(b));
    assert.deepEqual(await collect(jsonlEvents(oneByteChunks)), [{ a: "é☃" }, { b: 2 }, { c: 3 }]);
    assert.deepEqual(await collect(jsonlEvents([`${text}\n`])), [{ a: "é☃" }, { b: 2 }, { c: 3 }]);
    assert.deepEqual(await collect(jsonlEvents([])), []);
  });

  test("refuses, naming the line: invalid UTF-8, a BOM, an empty line, an endless line", async () => {
    const cases: [(Buffer | string)[], RegExp][] = [
      [[Buffer.from('{"a":1}\n{"a":"\xff"}\n', "latin1")], /^line 2: not valid UTF-8$/],
      [["\ufeff{}\n"], /^line 1: malformed JSON/],
      [["{}\n\n{}\n"], /^line 2: empty line$/],
      [["{}\n{} {}\n"], /^line 2: malformed JSON/],
      [["{}\n", "x".repeat(MAX_JSONL_LINE_BYTES + 1)], /^line 2: longer than \d+ bytes$/],
    ];
    for (const [chunks, reason] of cases) {
      await assert.rejects(collect(jsonlEvents(chunks)), (err: unknown) => {
        assert.ok(err instanceof AuditSourceError);
        assert.match(err.message, reason);
        return true;
      });
    }
  });
});

test("a __proto__ member in a line is an own, unexpected field, not a prototype", async () => {
  const [event] = sealedChain([1]);
  const line = exportLine(event!).replace("{", '{"__proto__":{"seq":0},');
  const report = await verifyAuditChain(jsonlEvents([line]), { keys: KEYS });
  assert.deepEqual(report.firstBad, { seq: 0, reason: 'unexpected field "__proto__"' });
});

describe("storeEvents", () => {
  test("pages after the last seq seen, so a deleted row shows up as a gap", async () => {
    const rows = [0, 1, 2, 4, 5, 6, 7].map((seq) => ({ seq }) as AuditEvent);
    const calls: number[] = [];
    const store = {
      readAuditEvents: async (from: number, limit: number) => {
        calls.push(from);
        return rows.filter((r) => r.seq >= from).slice(0, limit);
      },
    };
    const seen = await collect(storeEvents(store, 0, 3));
    assert.deepEqual(
      seen.map((e) => e.seq),
      [0, 1, 2, 4, 5, 6, 7],
    );
    assert.deepEqual(calls, [0, 3, 7]);
    assert.deepEqual(
      (await collect(storeEvents(store, 5, 3))).map((e) => e.seq),
      [5, 6, 7],
    );
  });
});

describe("export", () => {
  test("exportLine writes exactly the A6 fields in A6 order, whatever the object carries", () => {
    const [event] = sealedChain([1]);
    const line = exportLine({ ...event!, extra: "never exported" } as AuditEvent);
    assert.ok(line.endsWith("}\n"));
    assert.deepEqual(Object.keys(JSON.parse(line)), [...AUDIT_EVENT_FIELDS]);
    assert.equal(line, `${JSON.stringify(event)}\n`);
  });

  test("writeJsonlExport waits for 'drain' on a slow destination and loses nothing", async () => {
    const events = sealedChain(Array.from({ length: 300 }, () => 5));
    let received = "";
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        received += chunk.toString("utf8");
        setImmediate(done);
      },
    });
    slow.on("drain", () => drains++);
    const summary = await writeJsonlExport(events, slow);
    assert.deepEqual(summary, { count: 1500, firstSeq: 0, lastSeq: 1499 });
    assert.equal(received, events.map(exportLine).join(""));
    assert.ok(drains > 0, "backpressure was exercised");
  });

  test("writeJsonlExport rejects with the destination's error (e.g. EPIPE)", async () => {
    const events = sealedChain(Array.from({ length: 400 }, () => 5));
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, done) {
        done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    await assert.rejects(writeJsonlExport(events, broken), /EPIPE/);
  });
});

describe("parseSignersJson", () => {
  test("reads the /keys body; HMAC keys have no PEM; extra fields are ignored", () => {
    const keys = parseSignersJson(
      JSON.stringify({
        signers: [
          {
            signer_kid: "a",
            algorithm: "ed25519",
            public_key_pem: SEALER.pem,
            status: "retired",
            deployedAt: "x",
          },
          { signer_kid: "h", algorithm: "hmac-sha256", status: "active" },
          { signer_kid: "n", algorithm: "ed25519", public_key_pem: SEALER.pem },
        ],
      }),
    );
    assert.deepEqual(Object.fromEntries(keys), {
      a: { alg: "ed25519", publicKeyPem: SEALER.pem, status: "retired" },
      h: { alg: "hmac-sha256", publicKeyPem: null, status: "active" },
      n: { alg: "ed25519", publicKeyPem: SEALER.pem },
    });
  });

  test("refuses what would make the trusted key set ambiguous or unusable", () => {
    const entry = { signer_kid: "a", algorithm: "ed25519", public_key_pem: SEALER.pem };
    const cases: [string, RegExp][] = [
      ["[]", /expected \{"signers": \[\.\.\.\]\}/],
      ['{"signers":{}}', /expected/],
      [JSON.stringify({ signers: [entry, entry] }), /signers\[1\]: signer_kid "a" appears twice/],
      [JSON.stringify({ signers: [{ ...entry, algorithm: "rsa" }] }), /signers\[0\]\.algorithm/],
      [JSON.stringify({ signers: [{ ...entry, status: "lost" }] }), /signers\[0\]\.status/],
      [JSON.stringify({ signers: [{ ...entry, signer_kid: "" }] }), /signers\[0\]\.signer_kid/],
      [JSON.stringify({ signers: [{ ...entry, public_key_pem: 5 }] }), /public_key_pem must be a string/],
      [`{"signers":[${JSON.stringify(entry).replace("{", '{"signer_kid":"b",')}]}`, /duplicate/i],
    ];
    for (const [text, reason] of cases) assert.throws(() => parseSignersJson(text), reason, text);
  });
});
