import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { writeJsonlExport } from "../audit/export-jsonl.js";
import { type SealKey, type VerifyChainReport, verifyAuditChain } from "../audit/verify-chain.js";
import { parseSignersJson, sealKeysFromRecords, symmetricVerifier } from "../audit/verify-keys.js";
import { jsonlEvents, storeEvents } from "../audit/verify-sources.js";
import { ConfigError, loadConfig } from "../config/config.js";
import type { Config } from "../config/types.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

const HELP = `usage:
  signer audit verify [--db | --file F] [--pin-head SEQ:HASH] [--keys F] [--json]
      Checks the audit log (docs/audit-format.md): every field, seq continuity from 0, every
      prevHash link, every hash, every seal, a seal on the last event, and the pinned head.
      --db          read the store named by DATABASE_URL / SIGNER_DATA_DIR (the default)
      --file F      read a JSONL export instead (needs --keys, or a store to read the keys from)
      --pin-head SEQ:HASH  the log must still contain this event (catches truncation)
      --keys F      trust only the keys in this signers.json (the /keys body); default: the
                    store's key registry. HMAC seals are checked with SIGNER_CONFIG's secrets.
      --json        print the report as JSON
      Exit status: 0 the log verifies; 1 it does not (the first bad seq is named); 2 the check
      could not run (usage, configuration, unreadable store or file).
  signer audit export [--from SEQ] [--out F]
      Writes the store's events as JSONL, one event per line with exactly the A6 fields, in seq
      order. --from SEQ starts at SEQ (to resume); --out F writes to F (created; an existing F is
      only appended to when --from is given) instead of stdout.
      Exit status: 0 done; 1 the export failed part-way; 2 usage or configuration error.
`;

/** Where the command writes (process streams in production, buffers in tests). */
export interface AuditIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A usage mistake: exit 2 with this line and the help. */
class UsageError extends Error {}

/** The command could not run (config, store, unreadable input): exit 2 with this line. */
class CannotRunError extends Error {}

/** `signer audit verify|export`. */
export async function auditCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runAuditCommand(args, env, { stdout: process.stdout, stderr: process.stderr });
}

/** `signer audit …` writing to `io`; returns the exit code. */
export async function runAuditCommand(args: string[], env: NodeJS.ProcessEnv, io: AuditIo): Promise<number> {
  const [action, ...rest] = args;
  try {
    if (action === "verify") return await verify(rest, env, io);
    if (action === "export") return await exportEvents(rest, env, io);
    if (action === "--help" || action === "-h" || action === "help") {
      io.stdout.write(HELP);
      return 0;
    }
    throw new UsageError(action === undefined ? "missing action" : `unknown action '${action}'`);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof CannotRunError ||
      err instanceof ConfigError ||
      isParseArgsError(err)
    ) {
      io.stderr.write(`signer audit: ${err.message}\n${err instanceof UsageError ? HELP : ""}`);
      return 2;
    }
    throw err;
  }
}

async function verify(args: string[], env: NodeJS.ProcessEnv, io: AuditIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h" },
      db: { type: "boolean" },
      file: { type: "string" },
      "pin-head": { type: "string" },
      keys: { type: "string" },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.db && values.file !== undefined) throw new UsageError("--db and --file are exclusive");
  const pinHead = values["pin-head"] === undefined ? undefined : parsePin(values["pin-head"]);
  const keysFromFile = values.keys === undefined ? undefined : readKeysFile(values.keys);
  const needStore = values.file === undefined || keysFromFile === undefined;
  // Config is needed for the store; otherwise it only lends HMAC secrets, so a broken one is skipped.
  const config = needStore ? loadConfig(env) : tryLoadConfig(env);
  if (values.file !== undefined && keysFromFile === undefined && !hasStore(config)) {
    throw new UsageError(
      "--file needs --keys F, or DATABASE_URL / SIGNER_DATA_DIR naming a store with the keys",
    );
  }
  const store = needStore && config !== null ? await openReadonlyStore(config) : null;
  const symmetric =
    config === null
      ? undefined
      : symmetricVerifier(config.keys, { strict: config.strict, dataDir: config.dataDir, aws: config.aws });
  try {
    let keys: ReadonlyMap<string, SealKey>;
    if (keysFromFile !== undefined) keys = keysFromFile;
    else if (store !== null) keys = sealKeysFromRecords(await store.listKeys());
    else throw new CannotRunError("no keys to verify with");
    const source =
      values.file !== undefined ? jsonlEvents(createReadStream(values.file)) : storeEvents(store as Store);
    let report: VerifyChainReport;
    try {
      report = await verifyAuditChain(source, {
        keys,
        ...(symmetric ? { verifySymmetric: symmetric.verify } : {}),
        ...(pinHead ? { pinHead } : {}),
      });
    } catch (err) {
      // The source failed (unreadable file, store gone): nothing was decided about the log.
      throw new CannotRunError(`could not read the log: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      io.stdout.write(`${summary(report)}\n`);
      if (keysFromFile === undefined) {
        io.stderr.write(
          "note: seal keys were read from the store itself; --keys F pins them independently\n",
        );
      }
    }
    return report.ok ? 0 : 1;
  } finally {
    await symmetric?.close();
    await store?.close();
  }
}

async function exportEvents(args: string[], env: NodeJS.ProcessEnv, io: AuditIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" }, from: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const from = values.from === undefined ? 0 : parseSeq(values.from, "--from");
  // Overwriting an archive could destroy the only copy of history; appending is for resuming only.
  if (values.out !== undefined && values.from === undefined && existsSync(values.out)) {
    throw new UsageError(`${values.out} exists; refusing to overwrite it (give --from SEQ to append)`);
  }
  const store = await openReadonlyStore(loadConfig(env));
  try {
    const out =
      values.out === undefined
        ? io.stdout
        : createWriteStream(values.out, { flags: values.from === undefined ? "wx" : "a", mode: 0o600 });
    try {
      const done = await writeJsonlExport(storeEvents(store, from), out);
      if (out !== io.stdout) {
        out.end();
        await finished(out);
      }
      const range = done.count === 0 ? "" : ` (seq ${done.firstSeq}..${done.lastSeq})`;
      io.stderr.write(`audit export: ${done.count} events${range} to ${values.out ?? "stdout"}\n`);
      return 0;
    } catch (err) {
      if (out !== io.stdout) out.destroy();
      io.stderr.write(`signer audit export: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  } finally {
    await store.close();
  }
}

/** The one-line human verdict. */
function summary(r: VerifyChainReport): string {
  if (r.firstBad !== undefined) return `audit verify: FAILED at seq ${r.firstBad.seq}: ${r.firstBad.reason}`;
  if (r.head === null) return "audit verify: OK — 0 events (empty log)";
  return `audit verify: OK — ${r.count} events, ${r.seals} seals, head seq ${r.head.seq} hash ${r.head.hash}`;
}

function parsePin(text: string): { seq: number; hash: string } {
  const m = /^(\d+):([0-9a-fA-F]{64})$/.exec(text);
  if (m === null) throw new UsageError("--pin-head must be SEQ:HASH (a seq and 64 hex characters)");
  return { seq: parseSeq(m[1] ?? "", "--pin-head"), hash: (m[2] ?? "").toLowerCase() };
}

function parseSeq(text: string, flag: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} needs a non-negative integer seq`);
  return n;
}

function readKeysFile(path: string): ReadonlyMap<string, SealKey> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CannotRunError(
      `cannot read --keys ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return parseSignersJson(text);
  } catch (err) {
    throw new CannotRunError(`--keys ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function tryLoadConfig(env: NodeJS.ProcessEnv): Config | null {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return null;
    throw err;
  }
}

function hasStore(config: Config | null): boolean {
  if (config === null) return false;
  return config.databaseUrl !== undefined || existsSync(join(config.dataDir, "signer.db"));
}

async function openReadonlyStore(config: Config): Promise<Store> {
  try {
    // Read-only: verifying or exporting never migrates, locks or writes the log it inspects.
    return await openStore({
      dataDir: config.dataDir,
      readonly: true,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.revealText() } : {}),
    });
  } catch (err) {
    throw new CannotRunError(`cannot open the store: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isParseArgsError(err: unknown): err is Error {
  return err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");
}
