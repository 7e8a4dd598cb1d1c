// `npm run bench [-- --quick]` — throughput, latency and server RSS of the signing paths over
// keep-alive mTLS (client certificates, server certificate verified) at concurrency 1/16/64, with the
// baselines measured in the same run, each figure the median of 3 repetitions:
//   S1 trivial mTLS echo (HTTP+TLS cost)      S2 /sign/hash, Ed25519 soft key, audit on SQLite
//   S3 /sign/batch of 256 and 1024 items      S4 S2 with the audit on PostgreSQL (PG_TEST_URL/DATABASE_URL)
//   S5 /sign/hash through PKCS#11 (SoftHSM2 Ed25519) next to a raw pkcs11js loop on the same token
//   raw node:crypto Ed25519 signs/s on one core
// Writes bench/results/latest.json and latest.md. BENCH_CPU_PROF=DIR profiles the SQLite server.
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createSoftHsmToken, type SoftHsmToken, softHsmUnavailable } from "../test/helpers/softhsm.js";
import { chartPng, chartSvg } from "./chart.js";
import { type LoadResult, runLoad } from "./load.js";
import { rawPkcs11Rate } from "./raw-pkcs11.js";
import type { ServerInfo, ServerSpec } from "./server-spec.js";
import { type Cell, summarize } from "./targets.js";

const quick = process.argv.includes("--quick");
const seconds = quick ? 1 : 4;
const reps = 3;
// `--only S1,S2` runs a subset (for profiling a change); the targets then report "not run" for the rest.
const onlyArg = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const only = onlyArg ? onlyArg.split(",") : null;
const concArg = process.argv.find((a) => a.startsWith("--concurrency="))?.slice("--concurrency=".length);
const concurrencies = concArg ? concArg.split(",").map(Number) : [1, 16, 64];
const P11_SESSIONS = 8;

function rawEd25519Rate(durationMs: number): number {
  const { privateKey } = generateKeyPairSync("ed25519");
  const digest = randomBytes(32);
  let n = 0;
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) sign(null, digest, privateKey);
    n += 100;
  }
  return n / (durationMs / 1000);
}

/** Resident memory and CPU time (all threads, µs) of a server process. */
interface Usage {
  readonly rssMb: number;
  readonly cpuUs: number;
  /** Time the main thread's event loop was busy since start, ms. */
  readonly loopBusyMs: number;
}

interface Server {
  readonly child: ChildProcess;
  readonly info: ServerInfo;
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

async function startServer(spec: ServerSpec, env: NodeJS.ProcessEnv, profile: boolean): Promise<Server> {
  const child = fork(new URL("./server.mjs", import.meta.url).pathname, [JSON.stringify(spec)], {
    execArgv: [
      ...(profile && process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    child.once("message", (m) => resolve(m as ServerInfo));
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    child,
    info,
    usage: () =>
      new Promise<Usage>((resolve) => {
        child.once("message", (m) => resolve(m as Usage));
        child.send("usage");
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function pgSchemaUrl(base: string): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch {
    await admin.end().catch(() => undefined);
    return null;
  }
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

// The servers run the compiled build, as production does: build it from the current sources first.
execFileSync("npm", ["run", "--silent", "build"], {
  cwd: new URL("..", import.meta.url).pathname,
  stdio: ["ignore", "ignore", "inherit"],
});
const dir = mkdtempSync(join(tmpdir(), "signer-bench-"));
const notRun: Record<string, string> = {};
let token: SoftHsmToken | undefined;
const hsmMissing = softHsmUnavailable();
if (hsmMissing) notRun.S5 = hsmMissing;
else {
  token = createSoftHsmToken("bench");
  // The raw loop runs in this process: SoftHSM reads its config at C_Initialize.
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  token.toolKey("ed25519", "bench-ed", "01");
}
const pgBase = process.env.DATABASE_URL ?? process.env.PG_TEST_URL;
const pgSchema = pgBase ? await pgSchemaUrl(pgBase) : null;
if (!pgBase) notRun.S4 = "neither DATABASE_URL nor PG_TEST_URL is set";
else if (!pgSchema) notRun.S4 = "PostgreSQL at DATABASE_URL/PG_TEST_URL is not reachable";

const childEnv = { ...process.env, ...(token?.env ?? {}) };
const sqlite = await startServer(
  {
    dataDir: join(dir, "sqlite"),
    ...(token ? { pkcs11Uri: token.uri("bench-ed", `pool-size=${P11_SESSIONS}`) } : {}),
  },
  childEnv,
  true,
);
// S3 runs on its own server process, so its large batches do not inflate the RSS measured under S2.
const batches = await startServer({ dataDir: join(dir, "batches") }, childEnv, false);
const batchTls = {
  ca: readFileSync(join(batches.info.certsDir, "ca.crt")),
  cert: readFileSync(join(batches.info.certsDir, "client.crt")),
  key: readFileSync(join(batches.info.certsDir, "client.key")),
};
const postgres = pgSchema
  ? await startServer({ dataDir: join(dir, "pg"), databaseUrl: pgSchema.url }, childEnv, false)
  : null;
const certs = sqlite.info.certsDir;
const tls = {
  ca: readFileSync(join(certs, "ca.crt")),
  cert: readFileSync(join(certs, "client.crt")),
  key: readFileSync(join(certs, "client.key")),
};
// The PG server made its own dev CA: use its certificates for it.
const pgTls = postgres
  ? {
      ca: readFileSync(join(postgres.info.certsDir, "ca.crt")),
      cert: readFileSync(join(postgres.info.certsDir, "client.crt")),
      key: readFileSync(join(postgres.info.certsDir, "client.key")),
    }
  : tls;

// Bodies are made before the runs and cycled, so the load generator spends its CPU on HTTP and TLS,
// as in S1, not on random digests and JSON (every request is still signed and audited).
function bodyPool(count: number, make: () => string): () => string {
  const pool = Array.from({ length: count }, make);
  let i = 0;
  return () => pool[i++ % count]!;
}
const digestBody = (kid?: string) =>
  bodyPool(4096, () =>
    JSON.stringify({ digestHex: randomBytes(32).toString("hex"), ...(kid ? { kid } : {}) }),
  );
const batchBody = (n: number) =>
  bodyPool(64, () =>
    JSON.stringify({
      items: Array.from({ length: n }, () => ({ digestHex: randomBytes(32).toString("hex") })),
    }),
  );

interface Scenario {
  readonly name: string;
  readonly server: Server;
  readonly url: string;
  readonly path: string;
  readonly body: () => string;
  readonly perRequest: number;
  readonly tls: typeof tls;
  /** Longer runs where one request is long (a 1024-item batch at concurrency 64 takes seconds). */
  readonly seconds?: number;
}
const scenarios: Scenario[] = [
  {
    name: "S1 echo",
    server: sqlite,
    url: sqlite.info.echoUrl,
    path: "/echo",
    body: () => '{"ping":1}',
    perRequest: 1,
    tls,
  },
  {
    name: "S2 sign/hash",
    server: sqlite,
    url: sqlite.info.url,
    path: "/sign/hash",
    body: digestBody(),
    perRequest: 1,
    tls,
  },
  {
    name: "S3 batch 256",
    server: batches,
    url: batches.info.url,
    path: "/sign/batch",
    body: batchBody(256),
    perRequest: 256,
    tls: batchTls,
    seconds: Math.max(seconds, 3),
  },
  {
    name: "S3 batch 1024",
    server: batches,
    url: batches.info.url,
    path: "/sign/batch",
    body: batchBody(1024),
    perRequest: 1024,
    tls: batchTls,
    seconds: Math.max(seconds, 5),
  },
  ...(postgres
    ? [
        {
          name: "S4 sign/hash pg",
          server: postgres,
          url: postgres.info.url,
          path: "/sign/hash",
          body: digestBody(),
          perRequest: 1,
          tls: pgTls,
        },
      ]
    : []),
  ...(token
    ? [
        {
          name: "S5 sign/hash pkcs11",
          server: sqlite,
          url: sqlite.info.url,
          path: "/sign/hash",
          body: digestBody("p11-ed25519"),
          perRequest: 1,
          tls,
        },
      ]
    : []),
];

const selected = only ? scenarios.filter((s) => only.some((o) => s.name.startsWith(`${o} `))) : scenarios;
const samples = new Map<
  string,
  Array<LoadResult & { rssMb: number; serverCpuUs: number; loopBusy: number }>
>();
const rawEd: number[] = [];
const rawP11: number[] = [];
const rawP11Cpu: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  rawEd.push(rawEd25519Rate(seconds * 500));
  if (token && (!only || only.includes("S5"))) {
    const raw = await rawPkcs11Rate(token, "bench-ed", P11_SESSIONS, seconds);
    rawP11.push(raw.rate);
    rawP11Cpu.push(raw.cpuUsPerSign);
  }
  for (const s of selected) {
    for (const concurrency of concurrencies) {
      const before = await s.server.usage();
      const result = await runLoad({
        url: s.url,
        path: s.path,
        body: s.body,
        concurrency,
        seconds: s.seconds ?? seconds,
        warmupSeconds: 0.3,
        tls: s.tls,
      });
      const key = `${s.name}|${concurrency}`;
      const after = await s.server.usage();
      // CPU per request over the whole run (warm-up included on both sides of the division).
      const serverCpuUs = (after.cpuUs - before.cpuUs) / result.totalRequests;
      // Share of the run (warm-up included) the server's event loop was busy.
      const loopBusy = (after.loopBusyMs - before.loopBusyMs) / ((result.seconds + 0.3) * 1000 + 1);
      samples.set(key, [
        ...(samples.get(key) ?? []),
        { ...result, rssMb: after.rssMb, serverCpuUs, loopBusy: Math.min(1, loopBusy) },
      ]);
    }
  }
}
await sqlite.stop();
await batches.stop();
await postgres?.stop();
await pgSchema?.drop();
rmSync(dir, { recursive: true, force: true });
if (token) rmSync(token.dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cells: Cell[] = [];
for (const s of selected) {
  for (const concurrency of concurrencies) {
    const runs = samples.get(`${s.name}|${concurrency}`) ?? [];
    cells.push({
      scenario: s.name,
      concurrency,
      throughput: median(runs.map((r) => r.throughput)) * s.perRequest,
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p95Ms: median(runs.map((r) => r.p95Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      rssMb: Math.max(...runs.map((r) => r.rssMb)),
      serverCpuUs: median(runs.map((r) => r.serverCpuUs)) / s.perRequest,
      clientCpuUs: median(runs.map((r) => r.clientCpuUs)) / s.perRequest,
      loopBusy: median(runs.map((r) => r.loopBusy)),
      machineBusy: runs.some((r) => r.machineBusy === null)
        ? null
        : median(runs.map((r) => r.machineBusy as number)),
    });
  }
}
const base = {
  rawEd25519: median(rawEd),
  rawPkcs11: rawP11.length ? median(rawP11) : null,
  rawPkcs11CpuUsPerSign: rawP11Cpu.length ? median(rawP11Cpu) : null,
  coldStartMs: sqlite.info.readyMs,
};
const summary = summarize(cells, base);
const fmt = (n: number | null, d = 2) => (n === null ? "n/a" : n.toFixed(d));
const lines = [
  `| scenario | conc | throughput (req/s; sig/s for batches) | p50 ms | p95 ms | p99 ms | errors | server RSS MB | CPU µs/op server + client | server event loop busy | machine busy |`,
  `|---|---|---|---|---|---|---|---|---|---|---|`,
  ...cells.map(
    (c) =>
      `| ${c.scenario} | ${c.concurrency} | ${fmt(c.throughput, 0)} | ${fmt(c.p50Ms)} | ${fmt(c.p95Ms)} | ${fmt(c.p99Ms)} | ${c.errors} | ${fmt(c.rssMb, 0)} | ${fmt(c.serverCpuUs, 0)} + ${fmt(c.clientCpuUs, 0)} | ${Math.round(c.loopBusy * 100)}% | ${c.machineBusy === null ? "n/a" : `${Math.round(c.machineBusy * 100)}%`} |`,
  ),
  "",
  `baselines: raw node:crypto Ed25519 ${fmt(base.rawEd25519, 0)} signs/s (one core); raw pkcs11js loop ${fmt(base.rawPkcs11, 0)} signs/s (${P11_SESSIONS} sessions, ${fmt(base.rawPkcs11CpuUsPerSign, 0)} µs CPU per signature); cold start ${fmt(base.coldStartMs, 0)} ms`,
  ...Object.entries(notRun).map(([k, why]) => `${k} not run: ${why}`),
  "",
  `| target | value | wanted | met |`,
  `|---|---|---|---|`,
  ...Object.entries(summary.targets).map(
    ([k, t]) =>
      `| ${k} | ${fmt(t.value)} | ${t.target} | ${t.met === null ? "not run" : t.met ? "yes" : "NO"} |`,
  ),
  "",
  `targets met: ${summary.targets_met}  (${quick ? "--quick, " : ""}${seconds}s per run, median of ${reps})`,
];
console.log(lines.join("\n"));
const result = {
  date: new Date().toISOString(),
  quick,
  secondsPerRun: seconds,
  repetitions: reps,
  baselines: base,
  notRun,
  cells,
  ...summary,
};
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL("./results/latest.md", import.meta.url), `${lines.join("\n")}\n`);
// --chart: throughput and p99 against concurrency, as SVG and PNG next to the JSON.
if (process.argv.includes("--chart")) {
  const svg = chartSvg(
    cells,
    `npm run bench${quick ? " -- --quick" : ""}, ${result.date}, median of ${reps}`,
  );
  writeFileSync(new URL("./results/latest.svg", import.meta.url), svg);
  writeFileSync(new URL("./results/latest.png", import.meta.url), chartPng(svg));
}
