// Group-commit throughput of the real AuditLog, without HTTP: N concurrent "clients" each loop
// `await audit.record([oneEvent])` for a few seconds, on SQLite (temp dir, synchronous=FULL) and on
// PostgreSQL (PG_TEST_URL, own schema), sealing every batch with an Ed25519 software key.
//   node --conditions=source --import tsx bench/audit-throughput.ts [--seconds 5] [--clients 1,64]
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { AuditLog } from "../signer/src/audit/audit-log.js";
import type { AuditInput } from "../signer/src/audit/event.js";
import { verifyAuditChain } from "../signer/src/audit/verify-chain.js";
import { storeEvents } from "../signer/src/audit/verify-sources.js";
import { importSoftKey } from "../signer/src/backends/softkey/load-key.js";
import { SoftKeyBackend } from "../signer/src/backends/softkey/softkey-backend.js";
import { createLogger } from "../signer/src/observability/logger.js";
import { createMetrics, type Metrics } from "../signer/src/observability/metrics.js";
import { openPostgresStore } from "../signer/src/store/postgres.js";
import { openSqliteStore } from "../signer/src/store/sqlite.js";
import type { Store } from "../signer/src/store/store.js";

/** One measured run. */
export interface AuditBenchRow {
  readonly store: "sqlite" | "postgres";
  readonly clients: number;
  readonly events: number;
  readonly eventsPerSec: number;
  readonly batchesPerSec: number;
  readonly meanBatch: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const AUDIT_KID = "bench-audit";

function sealer(): SoftKeyBackend {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return new SoftKeyBackend(AUDIT_KID, importSoftKey(AUDIT_KID, "ed25519", Buffer.from(pem)));
}

function event(): AuditInput {
  return {
    principal: "bench",
    op: "sign.hash",
    kid: "bench-sign",
    alg: "ed25519",
    digestHex: randomBytes(32).toString("hex"),
    result: "ok",
    requestId: randomUUID(),
  };
}

async function histogramTotals(metrics: Metrics): Promise<{ count: number; sum: number }> {
  const values = (await metrics.auditBatchSize.get()).values;
  const pick = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  return { count: pick("_count"), sum: pick("_sum") };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Drive one AuditLog over `store` with `clients` concurrent recorders for `seconds`. */
export async function measure(
  kind: AuditBenchRow["store"],
  store: Store,
  clients: number,
  seconds: number,
): Promise<AuditBenchRow> {
  await store.migrate();
  const backend = sealer();
  const metrics = createMetrics({ defaults: false });
  const audit = new AuditLog({
    store,
    auditKid: AUDIT_KID,
    metrics,
    logger: createLogger("silent"),
    sealer: async () => backend,
  });
  // Warm up (statements prepared, pool connected) outside the measured window.
  await Promise.all(Array.from({ length: clients }, () => audit.record([event()])));
  const base = await histogramTotals(metrics);
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await audit.record([event()]);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const totals = await histogramTotals(metrics);
  await audit.close();
  // The measured log must also be a valid one.
  const pub = (await backend.publicKey())?.export({ type: "spki", format: "pem" }) as string;
  const report = await verifyAuditChain(storeEvents(store), {
    keys: new Map([[AUDIT_KID, { alg: "ed25519" as const, publicKeyPem: pub }]]),
  });
  if (!report.ok) throw new Error(`chain does not verify: ${JSON.stringify(report.firstBad)}`);
  await backend.close();
  const batches = totals.count - base.count;
  const events = totals.sum - base.sum;
  latencies.sort((a, b) => a - b);
  return {
    store: kind,
    clients,
    events,
    eventsPerSec: events / elapsed,
    batchesPerSec: batches / elapsed,
    meanBatch: events / batches,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function sqliteRun(clients: number, seconds: number): Promise<AuditBenchRow> {
  const dir = mkdtempSync(join(tmpdir(), "audit-bench-"));
  const store = openSqliteStore(join(dir, "signer.db"));
  try {
    return await measure("sqlite", store, clients, seconds);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRun(url: string, clients: number, seconds: number): Promise<AuditBenchRow> {
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const store = openPostgresStore(url, { schema, applicationName: schema });
  try {
    return await measure("postgres", store, clients, seconds);
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

function table(rows: readonly AuditBenchRow[]): string {
  const head =
    "| store | clients | events/s | batches/s | mean batch | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|";
  const line = (r: AuditBenchRow) =>
    `| ${r.store} | ${r.clients} | ${r.eventsPerSec.toFixed(0)} | ${r.batchesPerSec.toFixed(0)} | ${r.meanBatch.toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`;
  return [head, ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: "string", default: "5" }, clients: { type: "string", default: "1,64" } },
  });
  const seconds = Number(values.seconds);
  const counts = values.clients.split(",").map(Number);
  const pgUrl = process.env.PG_TEST_URL;
  const rows: AuditBenchRow[] = [];
  for (const clients of counts) rows.push(await sqliteRun(clients, seconds));
  if (pgUrl) for (const clients of counts) rows.push(await postgresRun(pgUrl, clients, seconds));
  else process.stderr.write("PG_TEST_URL not set: PostgreSQL skipped\n");
  process.stdout.write(`${table(rows)}\n`);
}

await main();
