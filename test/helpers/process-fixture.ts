import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import type { Agent } from "undici";
import { writeDevCerts } from "../../signer/src/certs/write-dev-certs.js";
import { openStore } from "../../signer/src/store/open-store.js";
import type { AuditEvent } from "../../signer/src/store/store.js";
import { spawnSigner } from "./cli.js";
import { tlsAgent } from "./tls-client.js";

/** The kid that signs for `memory-layer` (defaultKid). */
export const SIGN_KID = "k-sign";
/** The kid that seals the audit log (auditKid). */
export const AUDIT_KID = "k-audit";

/** One running `signer serve` child process. */
export interface SignerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Main-port URL from the `signer ready` line. */
  readonly url: string;
  readonly managementUrl: string;
  /** Send `signal` and resolve once the process has exited. */
  stop(signal: "SIGTERM" | "SIGKILL"): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last ~64 KiB of stdout and stderr, for failure messages. */
  output(): string;
}

/** A throwaway directory with certs, keys and config, from which signer processes are started. */
export interface SignerSetup {
  readonly dir: string;
  readonly ca: Buffer;
  /** The environment every process gets (SIGNER_CONFIG, SIGNER_DATA_DIR, DATABASE_URL, TLS files), for CLI runs. */
  readonly env: Readonly<Record<string, string>>;
  /** The two Ed25519 keys by kid (the `keys` input of an audit chain verifier). */
  readonly keys: ReadonlyMap<string, { readonly alg: "ed25519"; readonly publicKeyPem: string }>;
  /** Start a `signer serve` on this setup's data (SQLite dir or DATABASE_URL); waits for `signer ready`. */
  start(env?: Record<string, string>): Promise<SignerProcess>;
  /** An mTLS agent presenting the `memory-layer` (or `auditor`) client certificate. */
  agent(cn?: "memory-layer" | "auditor"): Agent;
  /** Every audit event of the store, read through a read-only store (the processes may be stopped). */
  readEvents(): Promise<AuditEvent[]>;
  /** SIGKILL whatever still runs, close agents, remove the directory. */
  close(): Promise<void>;
}

const TAIL_BYTES = 64 * 1024;

/** The `url` and `management` fields of the `signer ready` log line, or null for any other line. */
function readyLine(line: string): { url: string; management: string } | null {
  if (!line.includes('"signer ready"')) return null;
  const r = JSON.parse(line) as { msg?: unknown; url?: unknown; management?: unknown };
  return r.msg === "signer ready" && typeof r.url === "string" && typeof r.management === "string"
    ? { url: r.url, management: r.management }
    : null;
}

function ed25519Pem(): { privatePem: string; publicPem: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicPem: createPublicKey(privateKey).export({ type: "spki", format: "pem" }) as string,
  };
}

function watch(child: ChildProcess, timeoutMs: number): Promise<SignerProcess> {
  let tail = "";
  // Always drain both pipes: a child blocked on a full stdout pipe would stall its event loop.
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let scanned = "";
    const timer = setTimeout(
      () => fail(new Error(`signer not ready after ${timeoutMs} ms:\n${tail}`)),
      timeoutMs,
    );
    const onLine = (chunk: Buffer) => {
      const lines = (scanned + chunk.toString("utf8")).split("\n");
      scanned = lines.pop() ?? "";
      for (const line of lines) {
        const ready = readyLine(line);
        if (ready) return done(ready.url, ready.management);
      }
    };
    const onExit = () => fail(new Error(`signer exited before ready:\n${tail}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onLine);
      child.off("exit", onExit);
    };
    const fail = (err: Error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(err);
    };
    const done = (url: string, managementUrl: string) => {
      cleanup();
      resolve({
        child,
        pid: child.pid ?? -1,
        url,
        managementUrl,
        async stop(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
        output: () => tail,
      });
    };
    child.stdout?.on("data", onLine);
    child.once("exit", onExit);
  });
}

/**
 * Write dev certs (clients `memory-layer`, `auditor`), two Ed25519 softkeys (`k-sign` default,
 * `k-audit` audit key) and a SIGNER_CONFIG into a temp dir. Without `databaseUrl` every process
 * started from the setup shares the SQLite store `<dir>/data/signer.db`.
 */
export async function createSignerSetup(options: { databaseUrl?: string } = {}): Promise<SignerSetup> {
  const dir = mkdtempSync(join(tmpdir(), "signer-proc-"));
  const certs = await writeDevCerts(join(dir, "certs"), {
    clients: [{ cn: "memory-layer" }, { cn: "auditor" }],
  });
  const sign = ed25519Pem();
  const audit = ed25519Pem();
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const config = {
    keys: [
      { kid: SIGN_KID, uri: `softkey:file=${file("sign.pem", sign.privatePem)}`, alg: "ed25519" },
      { kid: AUDIT_KID, uri: `softkey:file=${file("audit.pem", audit.privatePem)}`, alg: "ed25519" },
    ],
    defaultKid: SIGN_KID,
    auditKid: AUDIT_KID,
    principals: [
      { id: "memory-layer", match: { cn: "memory-layer" }, roles: ["service"], keys: [SIGN_KID] },
      { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
    ],
  };
  const dataDir = join(dir, "data");
  const baseEnv: Record<string, string> = {
    SIGNER_CONFIG: file("config.json", JSON.stringify(config)),
    SIGNER_DATA_DIR: dataDir,
    TLS_CERT_FILE: certs.serverCert,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: certs.caCert,
    HOST: "127.0.0.1",
    PORT: "0",
    MANAGEMENT_PORT: "0",
    // info: the `signer ready` line carries the ephemeral ports.
    LOG_LEVEL: "info",
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
  const ca = readFileSync(certs.caCert);
  // Tracked from spawn, not from ready: close() must also kill a process still starting up.
  const children = new Set<ChildProcess>();
  const agents: Agent[] = [];
  return {
    dir,
    ca,
    env: baseEnv,
    keys: new Map([
      [SIGN_KID, { alg: "ed25519", publicKeyPem: sign.publicPem }],
      [AUDIT_KID, { alg: "ed25519", publicKeyPem: audit.publicPem }],
    ]),
    async start(env = {}) {
      const child = spawnSigner(["serve"], { ...baseEnv, ...env });
      children.add(child);
      child.once("exit", () => children.delete(child));
      return watch(child, 30_000);
    },
    agent(cn = "memory-layer") {
      const paths = certs.clients[cn];
      assert.ok(paths, `no client certificate for ${cn}`);
      const agent = tlsAgent({ ca, cert: readFileSync(paths.cert), key: readFileSync(paths.key) });
      agents.push(agent);
      return agent;
    },
    async readEvents() {
      const store = await openStore({
        dataDir,
        readonly: true,
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      });
      try {
        const events: AuditEvent[] = [];
        for (;;) {
          const page = await store.readAuditEvents(events.length, 5000);
          events.push(...page);
          if (page.length < 5000) return events;
        }
      } finally {
        await store.close();
      }
    },
    async close() {
      await Promise.all(
        [...children].map((child) => {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGKILL");
          return exited;
        }),
      );
      await Promise.allSettled(agents.map((a) => a.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A per-test PostgreSQL schema and a DATABASE_URL that selects it through `options=-c search_path=…`. */
export interface PgSchema {
  readonly schema: string;
  /** PG_TEST_URL plus the search_path (and any extra session settings). */
  readonly url: string;
  /** A pool on the plain PG_TEST_URL for out-of-band SQL (locks, pg_terminate_backend). */
  readonly admin: pg.Pool;
  drop(): Promise<void>;
}

/** Create a fresh schema in `baseUrl`'s database; `settings` are added as `-c name=value` options. */
export async function createPgSchema(
  baseUrl: string,
  settings: Record<string, string> = {},
): Promise<PgSchema> {
  const schema = `e2e_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Pool({ connectionString: baseUrl, max: 3 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(baseUrl);
  const options = Object.entries({ search_path: schema, ...settings })
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(" ");
  u.searchParams.set("options", options);
  return {
    schema,
    url: u.toString(),
    admin,
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * Register PostgreSQL tests: `body(url)` when PG_TEST_URL is set; otherwise a skipped test, or a
 * failing one under REQUIRE_INTEGRATION=1 (CI must never silently skip them).
 */
export function withPostgres(title: string, body: (url: string) => void): void {
  const url = process.env.PG_TEST_URL;
  if (url !== undefined && url !== "") {
    body(url);
  } else if (process.env.REQUIRE_INTEGRATION === "1") {
    test(`${title}: PG_TEST_URL is set (REQUIRE_INTEGRATION=1)`, () => {
      assert.fail(`REQUIRE_INTEGRATION=1 but PG_TEST_URL is not set; ${title} cannot run`);
    });
  } else {
    test(title, { skip: "PG_TEST_URL not set" }, () => {});
  }
}
