// `npm run bench [-- --quick]`: throughput and latency of /sign/hash (Ed25519 soft key, audit on
// SQLite) over keep-alive mTLS at concurrency 1/16/64, next to the baselines measured in the same run:
// a trivial mTLS echo route (S1) and the raw node:crypto Ed25519 signing rate on one core.
import { fork } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.js";

const quick = process.argv.includes("--quick");
const seconds = quick ? 2 : 6;
const concurrencies = [1, 16, 64];

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

interface ServerInfo {
  url: string;
  echoUrl: string;
  certsDir: string;
  readyMs: number;
}

const dir = mkdtempSync(join(tmpdir(), "signer-bench-"));
const child = fork(new URL("./server.ts", import.meta.url).pathname, [dir], {
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server process (open it in Chrome DevTools).
  execArgv: [
    "--conditions=source",
    "--import",
    "tsx",
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  ],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const info = await new Promise<ServerInfo>((resolve, reject) => {
  child.once("message", (m) => resolve(m as ServerInfo));
  child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
});
const rss = () =>
  new Promise<number>((resolve) => {
    child.once("message", (m) => resolve((m as { rssMb: number }).rssMb));
    child.send("rss");
  });
const tls = {
  ca: readFileSync(join(info.certsDir, "ca.crt")),
  cert: readFileSync(join(info.certsDir, "client.crt")),
  key: readFileSync(join(info.certsDir, "client.key")),
};

const rawRate = rawEd25519Rate(quick ? 1000 : 3000);
const rows: Array<{ scenario: string; concurrency: number; result: LoadResult; rssMb: number }> = [];
for (const concurrency of concurrencies) {
  const s1 = await runLoad({
    url: info.echoUrl,
    path: "/echo",
    body: () => '{"ping":1}',
    concurrency,
    seconds,
    tls,
  });
  rows.push({ scenario: "S1 echo", concurrency, result: s1, rssMb: await rss() });
  const s2 = await runLoad({
    url: info.url,
    path: "/sign/hash",
    body: () => JSON.stringify({ digestHex: randomBytes(32).toString("hex") }),
    concurrency,
    seconds,
    tls,
  });
  rows.push({ scenario: "S2 sign/hash", concurrency, result: s2, rssMb: await rss() });
}
child.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });

const ratio = (c: number) => {
  const s1 = rows.find((r) => r.scenario === "S1 echo" && r.concurrency === c)!.result.throughput;
  const s2 = rows.find((r) => r.scenario === "S2 sign/hash" && r.concurrency === c)!.result.throughput;
  return s2 / s1;
};
const fmt = (n: number, d = 1) => n.toFixed(d);
const lines = [
  `| scenario | conc | req/s | p50 ms | p95 ms | p99 ms | errors | server RSS MB |`,
  `|---|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.concurrency} | ${fmt(r.result.throughput, 0)} | ${fmt(r.result.p50Ms, 2)} | ${fmt(r.result.p95Ms, 2)} | ${fmt(r.result.p99Ms, 2)} | ${r.result.errors} | ${fmt(r.rssMb, 0)} |`,
  ),
  "",
  `raw node:crypto Ed25519 signs/s (one core): ${fmt(rawRate, 0)}`,
  `cold start (server process ready): ${fmt(info.readyMs, 0)} ms`,
  ...concurrencies.map((c) => `S2/S1 throughput at concurrency ${c}: ${fmt(ratio(c), 2)}`),
];
console.log(lines.join("\n"));
const result = {
  date: new Date().toISOString(),
  quick,
  secondsPerScenario: seconds,
  rawEd25519PerSec: rawRate,
  coldStartMs: info.readyMs,
  rows: rows.map((r) => ({ scenario: r.scenario, concurrency: r.concurrency, rssMb: r.rssMb, ...r.result })),
  ratios: Object.fromEntries(concurrencies.map((c) => [`s2_over_s1_c${c}`, ratio(c)])),
};
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL("./results/latest.md", import.meta.url), `${lines.join("\n")}\n`);
