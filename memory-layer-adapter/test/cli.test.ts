// memory-audit-verify over the table and over a JSONL archive: verdicts, exit codes, named rows.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPgSchema, type PgSchema, withPostgres } from "../../test/helpers/process-fixture.js";
import { runMemoryAuditVerify } from "../src/cli.js";
import { insertAuditEvent, migrate } from "../src/index.js";
import { fakeSigner } from "./fake-signer.js";

const BIN = fileURLToPath(new URL("../bin/memory-audit-verify.mjs", import.meta.url));

/** Run the CLI in-process; capture its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString("utf8"));
        done();
      },
    });
  const status = await runMemoryAuditVerify(args, env, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
  });
  return { status, stdout, stderr };
}

withPostgres("memory-audit-verify", (pgUrl) => {
  describe("memory-audit-verify", { timeout: 30_000 }, () => {
    let schema: PgSchema;
    let pool: pg.Pool;
    let dir: string;
    let keysFile: string;
    let env: NodeJS.ProcessEnv;
    let ids: number[];
    const signer = fakeSigner();

    before(async () => {
      schema = await createPgSchema(pgUrl);
      pool = new pg.Pool({ connectionString: schema.url, max: 2 });
      await migrate(pool);
      ids = [];
      for (let i = 0; i < 20; i++) {
        ids.push((await insertAuditEvent(pool, { eventType: "e", payload: { i, x: 1e21 } }, { signer })).id);
      }
      dir = mkdtempSync(join(tmpdir(), "memory-audit-"));
      keysFile = join(dir, "signers.json");
      writeFileSync(keysFile, JSON.stringify(signer.keys));
      env = { DATABASE_URL: schema.url };
    });
    after(async () => {
      await pool.end();
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("the table verifies: exit 0, a count, or the JSON report", async () => {
      assert.deepEqual(await cli(["--keys", keysFile], env), {
        status: 0,
        stdout: "ok: 20 audit events verified\n",
        stderr: "",
      });
      const json = await cli(["--db", "--keys", keysFile, "--json"], env);
      assert.deepEqual(JSON.parse(json.stdout), { ok: true, count: 20 });
    });

    test("export writes a JSONL archive that verifies; it never overwrites one", async () => {
      const archive = join(dir, "audit.jsonl");
      const out = await cli(["export", "--out", archive], env);
      assert.equal(out.status, 0, out.stderr);
      assert.equal(readFileSync(archive, "utf8").trimEnd().split("\n").length, 20);
      assert.equal((await cli(["--file", archive, "--keys", keysFile], {})).status, 0);
      assert.equal((await cli(["export", "--out", archive], env)).status, 2, "an existing archive is kept");
    });

    test("a tampered, missing or malformed archive line: exit 1 naming the row", async () => {
      const lines = readFileSync(join(dir, "audit.jsonl"), "utf8").trimEnd().split("\n");
      const write = (name: string, content: string[]) => {
        const path = join(dir, name);
        writeFileSync(path, `${content.join("\n")}\n`);
        return path;
      };
      const edited = lines.map((l, i) => (i === 5 ? l.replace('"i":5', '"i":50') : l));
      const tampered = await cli(["--file", write("t.jsonl", edited), "--keys", keysFile], {});
      assert.equal(tampered.status, 1);
      assert.match(tampered.stdout, new RegExp(`^FAILED at id ${ids[5]}: hash does not match`));

      const dropped = await cli(
        [
          "--file",
          write(
            "d.jsonl",
            lines.filter((_, i) => i !== 7),
          ),
          "--keys",
          keysFile,
        ],
        {},
      );
      assert.equal(dropped.status, 1);
      assert.match(
        dropped.stdout,
        new RegExp(`^FAILED at id ${ids[8]}: prev_hash does not match the hash of row ${ids[6]}`),
      );

      const extra = lines.map((l, i) => (i === 3 ? l.replace('{"alg"', '{"note":1,"alg"') : l));
      const malformed = await cli(["--file", write("m.jsonl", extra), "--keys", keysFile, "--json"], {});
      assert.equal(malformed.status, 1);
      assert.deepEqual(JSON.parse(malformed.stdout).firstBad.id, ids[3]);
      assert.match(JSON.parse(malformed.stdout).firstBad.reason, /^line 4: expected exactly the members/);
    });

    test("cannot run: exit 2 with one line (no keys, unreadable keys or file, no DATABASE_URL)", async () => {
      for (const [args, e, pattern] of [
        [[], env, /--keys F is required/],
        [["--keys", join(dir, "nope.json")], env, /--keys .*nope\.json/],
        [["--keys", keysFile, "--file", join(dir, "nope.jsonl")], {}, /ENOENT/],
        [["--keys", keysFile], {}, /DATABASE_URL is not set/],
        [["--keys", keysFile, "--bogus"], env, /Unknown option/],
      ] as const) {
        const out = await cli([...args], e);
        assert.equal(out.status, 2, out.stderr);
        assert.match(out.stderr, pattern);
      }
    });

    test("the installed bin runs it as a process", () => {
      const ok = spawnSync(process.execPath, [BIN, "--keys", keysFile], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout, "ok: 20 audit events verified\n");
      const help = spawnSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
      assert.equal(help.status, 0);
      assert.match(help.stdout, /memory-audit-verify --keys F/);
    });
  });
});
