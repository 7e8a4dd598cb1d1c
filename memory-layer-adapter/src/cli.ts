// memory-audit-verify: verify audit_events (or a JSONL archive of it) offline, or write that archive.
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  type ReadStream,
  readFileSync,
  type WriteStream,
} from "node:fs";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { type PublishedKey, parseKeyDocument } from "@signing-proxy/client-sdk";
import pg from "pg";
import { exportAuditJsonl, readArchive } from "./jsonl-archive.js";
import { verifyAuditChain } from "./verify-chain.js";
import { type AuditChainReport, verifyAuditRows } from "./verify-rows.js";

const HELP = `usage:
  memory-audit-verify --keys F [--db | --file F] [--json]
      Checks the Memory Layer audit log: every prev_hash link, every hash recomputed from the row,
      every signature with the key of its signer_kid (published, not revoked), and, for the table,
      that the chain ends at its head row.
      --keys F   the keys to trust: the signing proxy's /keys body (signers.json) or its JWKS
      --db       read audit_events through DATABASE_URL (the default)
      --file F   read a JSONL archive instead (as written by 'memory-audit-verify export')
      --json     print the report as JSON
      Exit status: 0 verified; 1 not (the first bad row id and the reason are printed);
      2 the check could not run (usage, unreadable keys, database or file).
  memory-audit-verify export [--out F]
      Writes audit_events (DATABASE_URL) as JSONL, one row per line, to F or stdout.
`;

/** Where the command writes (process streams in production, buffers in tests). */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

class UsageError extends Error {}

/** Run `memory-audit-verify args`; resolves with the exit status. */
export async function runMemoryAuditVerify(
  args: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<number> {
  try {
    if (args[0] === "export") return await exportCommand(args.slice(1), env, io);
    return await verifyCommand(args, env, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`memory-audit-verify: ${err.message}\n\n${HELP}`);
      return 2;
    }
    io.stderr.write(`memory-audit-verify: cannot run: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

async function verifyCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const values = parse(args, {
    keys: { type: "string" },
    db: { type: "boolean" },
    file: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (typeof values.keys !== "string") throw new UsageError("--keys F is required (the keys to trust)");
  if (values.db === true && values.file !== undefined) throw new UsageError("give --db or --file, not both");
  const keys = readKeys(values.keys);
  let report: AuditChainReport;
  if (typeof values.file === "string") {
    // An unreadable file is "cannot run", not a verdict on the log.
    const input = await opened(createReadStream(values.file));
    report = await verifyAuditRows(readArchive(input), { keys });
  } else {
    report = await withPool(env, (pool) => verifyAuditChain(pool, { keys }));
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify(report)}\n`);
  else if (report.ok) io.stdout.write(`ok: ${report.count} audit events verified\n`);
  else
    io.stdout.write(
      `FAILED at id ${report.firstBad?.id}: ${report.firstBad?.reason} (${report.count} verified before it)\n`,
    );
  return report.ok ? 0 : 1;
}

async function exportCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const values = parse(args, { out: { type: "string" } });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  // wx: an archive is evidence; never overwrite one.
  const out =
    typeof values.out === "string" ? await opened(createWriteStream(values.out, { flags: "wx" })) : io.stdout;
  const n = await withPool(env, (pool) =>
    exportAuditJsonl(pool, (line) =>
      out.write(line) ? undefined : new Promise<void>((resolve) => out.once("drain", () => resolve())),
    ),
  );
  if (out !== io.stdout) {
    out.end();
    await finished(out);
  }
  io.stderr.write(`exported ${n} audit events\n`);
  return 0;
}

/** Resolve once the file stream is open; reject with its open error (ENOENT, EEXIST…). */
async function opened<T extends ReadStream | WriteStream>(stream: T): Promise<T> {
  await once(stream, "open");
  return stream;
}

function parse(
  args: string[],
  options: Record<string, { type: "string" | "boolean" }>,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readKeys(path: string): ReadonlyMap<string, PublishedKey> {
  try {
    return parseKeyDocument(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`--keys ${path}: ${(err as Error).message}`);
  }
}

async function withPool<T>(env: NodeJS.ProcessEnv, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const url = env.DATABASE_URL;
  if (url === undefined || url === "") throw new UsageError("DATABASE_URL is not set (or use --file)");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
