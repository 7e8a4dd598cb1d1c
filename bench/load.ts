import { readFileSync } from "node:fs";
import { Pool } from "undici";

/** Busy and total jiffies of the whole machine (Linux /proc/stat), or null elsewhere. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = readFileSync("/proc/stat", "utf8")
      .split("\n", 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Results of one load run. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Requests completed over the whole run, warm-up included (for CPU per request). */
  readonly totalRequests: number;
  /** CPU time of this load-generating process per request, warm-up included, µs. */
  readonly clientCpuUs: number;
  /** Share of the machine's CPU time that was busy during the measured seconds (every process). */
  readonly machineBusy: number | null;
}

/** TLS client material for the load generator (server certificate verified against `ca`). */
export interface LoadTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Closed-loop load: `concurrency` workers each send one request at a time over keep-alive mTLS
 * connections for `seconds`, after a short warm-up. Non-2xx answers and dropped connections count as errors.
 */
export async function runLoad(opts: {
  url: string;
  path: string;
  body: () => string;
  concurrency: number;
  seconds: number;
  warmupSeconds?: number;
  tls: LoadTls;
}): Promise<LoadResult> {
  const pool = new Pool(opts.url, {
    connections: opts.concurrency,
    pipelining: 1,
    connect: { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, servername: "localhost" },
  });
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  let total = 0;
  let errors = 0;
  let recording = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const started = performance.now();
      try {
        const res = await pool.request({
          path: opts.path,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: opts.body(),
        });
        await res.body.dump();
        if (res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
        total++;
        if (recording) latencies.push(performance.now() - started);
      } catch {
        if (recording) errors++;
      }
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  await new Promise((r) => setTimeout(r, (opts.warmupSeconds ?? 0.5) * 1000));
  recording = true;
  const t0 = performance.now();
  const ticks0 = machineTicks();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  recording = false;
  const ticks1 = machineTicks();
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(workers);
  await pool.close();
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    seconds,
    throughput: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    totalRequests: total,
    clientCpuUs: (cpu.user + cpu.system) / Math.max(1, total),
    machineBusy:
      ticks0 && ticks1 && ticks1.total > ticks0.total
        ? (ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total)
        : null,
  };
}
