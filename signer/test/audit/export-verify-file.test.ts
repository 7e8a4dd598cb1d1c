import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AUDIT_EVENT_FIELDS } from "../../src/audit/verify-event-shape.js";
import type { AuditEvent } from "../../src/store/store.js";
import { runAudit } from "./cli-io.js";
import { type DbTarget, targetKinds, withTarget } from "./db-targets.js";
import { sealedSeqs, softKey, writeAuditLog, writeSignersJson } from "./log-fixture.js";

const AUDIT_KID = "log-ed25519-v1";

async function exportTo(t: DbTarget, path: string, extra: string[] = []) {
  return runAudit(["export", "--out", path, ...extra], t.env);
}

for (const kind of targetKinds()) {
  describe(`audit export and verify --file (${kind.name})`, { skip: kind.skip ?? false }, () => {
    test("export writes exactly the A6 fields in A6 order, one event per line, stdout or --out alike", () =>
      withTarget(kind, async (t) => {
        const events = await writeAuditLog(t.store, softKey(t.dir, AUDIT_KID), t.dir);
        const file = join(t.dir, "audit.jsonl");
        const done = await exportTo(t, file);
        assert.equal(done.code, 0, done.stderr);
        assert.equal(
          done.stderr,
          `audit export: ${events.length} events (seq 0..${events.length - 1}) to ${file}\n`,
        );
        const text = readFileSync(file, "utf8");
        const lines = text.split("\n");
        assert.equal(lines.pop(), "", "every line ends with a newline");
        assert.equal(lines.length, events.length);
        lines.forEach((line, i) => {
          const parsed = JSON.parse(line) as AuditEvent;
          assert.deepEqual(Object.keys(parsed), [...AUDIT_EVENT_FIELDS]);
          assert.deepEqual(parsed, { ...events[i] });
        });
        const stdout = await runAudit(["export"], t.env);
        assert.equal(stdout.code, 0);
        assert.equal(stdout.stdout, text);
      }));

    test("export → verify --file round trip, with --keys and with keys from the store", () =>
      withTarget(kind, async (t) => {
        const events = await writeAuditLog(t.store, softKey(t.dir, AUDIT_KID), t.dir);
        const file = join(t.dir, "audit.jsonl");
        assert.equal((await exportTo(t, file)).code, 0);
        const keys = await writeSignersJson(t.store, join(t.dir, "signers.json"));
        const fromDb = await runAudit(["verify", "--json"], t.env);
        const withKeys = await runAudit(["verify", "--file", file, "--keys", keys, "--json"], t.env);
        const withStoreKeys = await runAudit(["verify", "--file", file, "--json"], t.env);
        for (const run of [fromDb, withKeys, withStoreKeys]) {
          assert.equal(run.code, 0, run.stdout + run.stderr);
          assert.deepEqual(JSON.parse(run.stdout), {
            ok: true,
            count: events.length,
            head: { seq: events.at(-1)!.seq, hash: events.at(-1)!.hash },
            seals: sealedSeqs(events).length,
          });
        }
        // With pinned keys the file alone suffices: no store, no configuration.
        const offline = await runAudit(["verify", "--file", file, "--keys", keys], {});
        assert.equal(offline.code, 0, offline.stderr);
        assert.match(
          offline.stdout,
          /^audit verify: OK — \d+ events, \d+ seals, head seq \d+ hash [0-9a-f]{64}\n$/,
        );
      }));

    test("an export resumed with --from is byte-identical to one full export", () =>
      withTarget(kind, async (t) => {
        const key = softKey(t.dir, AUDIT_KID);
        const first = await writeAuditLog(t.store, key, t.dir);
        const resumed = join(t.dir, "resumed.jsonl");
        assert.equal((await exportTo(t, resumed)).code, 0);
        const all = await writeAuditLog(t.store, key, t.dir);
        assert.ok(all.length > first.length);
        const next = String(first.at(-1)!.seq + 1);
        const more = await exportTo(t, resumed, ["--from", next]);
        assert.equal(more.code, 0, more.stderr);
        assert.match(more.stderr, new RegExp(`\\(seq ${next}\\.\\.${all.at(-1)!.seq}\\)`));
        const full = join(t.dir, "full.jsonl");
        assert.equal((await exportTo(t, full)).code, 0);
        assert.deepEqual(readFileSync(resumed), readFileSync(full));
        const keys = await writeSignersJson(t.store, join(t.dir, "signers.json"));
        assert.equal((await runAudit(["verify", "--file", resumed, "--keys", keys], {})).code, 0);
      }));

    test("export refuses to overwrite an existing file unless resuming with --from", () =>
      withTarget(kind, async (t) => {
        await writeAuditLog(t.store, softKey(t.dir, AUDIT_KID), t.dir);
        const file = join(t.dir, "audit.jsonl");
        writeFileSync(file, "precious\n");
        const run = await exportTo(t, file);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /exists; refusing to overwrite/);
        assert.equal(readFileSync(file, "utf8"), "precious\n");
      }));
  });
}

describe("audit verify --file: a broken export names the first bad seq", () => {
  const [sqlite] = targetKinds();

  /** Export a fresh log, let `edit` rewrite its lines, verify the result against pinned keys. */
  async function verifyEdited(edit: (lines: string[]) => string[]) {
    let result:
      | { code: number; report: { firstBad?: { seq: number; reason: string } }; human: string }
      | undefined;
    await withTarget(sqlite!, async (t) => {
      await writeAuditLog(t.store, softKey(t.dir, AUDIT_KID), t.dir);
      const file = join(t.dir, "audit.jsonl");
      assert.equal((await exportTo(t, file)).code, 0);
      const lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
      writeFileSync(file, `${edit(lines).join("\n")}\n`);
      const keys = await writeSignersJson(t.store, join(t.dir, "signers.json"));
      const json = await runAudit(["verify", "--file", file, "--keys", keys, "--json"], {});
      const human = await runAudit(["verify", "--file", file, "--keys", keys], {});
      result = { code: json.code, report: JSON.parse(json.stdout), human: human.stdout };
    });
    return result!;
  }

  test("a malformed line is a failure naming its line number", async () => {
    const r = await verifyEdited((lines) => lines.map((l, i) => (i === 4 ? l.slice(0, -3) : l)));
    assert.equal(r.code, 1);
    assert.equal(r.report.firstBad?.seq, 4);
    assert.match(r.report.firstBad?.reason ?? "", /^line 5: malformed JSON/);
    assert.match(r.human, /^audit verify: FAILED at seq 4: line 5: malformed JSON/);
  });

  test("a line with a duplicated key is malformed (two readers could disagree on it)", async () => {
    const r = await verifyEdited((lines) =>
      lines.map((l, i) => (i === 2 ? l.replace("{", '{"result":"ok",') : l)),
    );
    assert.deepEqual([r.code, r.report.firstBad?.seq], [1, 2]);
    assert.match(r.report.firstBad?.reason ?? "", /^line 3: malformed JSON .*duplicate/i);
  });

  test("an empty line, an extra field, swapped lines", async () => {
    const empty = await verifyEdited((lines) => [...lines.slice(0, 3), "", ...lines.slice(3)]);
    assert.deepEqual(empty.report.firstBad, { seq: 3, reason: "line 4: empty line" });
    const extra = await verifyEdited((lines) =>
      lines.map((l, i) => (i === 6 ? l.replace("{", '{"x":1,') : l)),
    );
    assert.deepEqual(extra.report.firstBad, { seq: 6, reason: 'unexpected field "x"' });
    const swapped = await verifyEdited((lines) => [
      ...lines.slice(0, 7),
      lines[8]!,
      lines[7]!,
      ...lines.slice(9),
    ]);
    assert.deepEqual(swapped.report.firstBad, { seq: 7, reason: "expected seq 7, found seq 8" });
    for (const r of [empty, extra, swapped]) assert.equal(r.code, 1);
  });
});
