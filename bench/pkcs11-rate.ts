// `node --conditions=source --import tsx bench/pkcs11-rate.ts [--quick] [--sessions 4,8] [--rounds 12]`
// Ed25519 signatures/s on a throwaway SoftHSM2 token, all modes measured in one run:
//   raw-async  a plain pkcs11js loop: one C_SignInit + C_SignAsync chain per session (the baseline)
//   backend    Pkcs11Backend.sign under 64 concurrent callers, pool-size = sessions
//   workers    the worker_threads alternative: one worker per session signing with synchronous C_Sign,
//              64 concurrent requests dispatched from the main thread over postMessage
//   raw-sync   synchronous C_SignInit + C_Sign on the main thread (blocks the event loop; reference)
// Short runs of the three concurrent modes alternate round by round, so drift and noisy neighbours
// hit them alike; the ratios are medians of per-round ratios. "cpu" is process CPU time (all
// threads) per signature, which other machines' load barely moves. "lag" is the worst delay of a
// 1 ms interval timer while the mode ran: how long the event loop was blocked.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import pkcs11js from "pkcs11js";
import type { SigningBackend } from "../signer/src/backends/backend.js";
import { CK3 } from "../signer/src/backends/pkcs11/constants.js";
import { createPkcs11Backend } from "../signer/src/backends/pkcs11/create-pkcs11-backend.js";
import { createSoftHsmToken, openRawSession } from "../test/helpers/softhsm.js";

const option = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const quick = process.argv.includes("--quick");
const sliceMs = quick ? 300 : 750;
const rounds = Number(option("--rounds") ?? (quick ? 3 : 12));
const sessionCounts = (option("--sessions") ?? "4,8").split(",").map(Number);
const CONCURRENCY = 64;
const MECH = { mechanism: CK3.CKM_EDDSA };

const token = createSoftHsmToken("bench");
token.toolKey("ed25519", "bench-ed", "01");
const raw = openRawSession(token); // keeps the library initialized and the token logged in
const key = raw.find("bench-ed", pkcs11js.CKO_PRIVATE_KEY);
const digest = randomBytes(32);

interface Run {
  readonly rate: number;
  readonly cpuUs: number;
  readonly lagMs: number;
}

/** Run `loop` (given `done()` and `count()`) for one slice; signatures/s, CPU µs per signature, worst lag. */
async function measure(loop: (done: () => boolean, count: () => void) => Promise<unknown>): Promise<Run> {
  let n = 0;
  let lag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 1);
    last = now;
  }, 1);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await loop(
    () => performance.now() - start >= sliceMs,
    () => n++,
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  return {
    rate: n / (elapsed / 1000),
    cpuUs: (used.user + used.system) / n,
    lagMs: Math.max(lag, performance.now() - last),
  };
}

/** `concurrency` callers, each calling `sign` in a loop until the slice ends. */
const callers =
  (concurrency: number, sign: () => Promise<unknown>) => (done: () => boolean, count: () => void) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!done()) {
          await sign();
          count();
        }
      }),
    );

function rawAsync(sessions: Buffer[]): Promise<Run> {
  return measure((done, count) =>
    Promise.all(
      sessions.map(async (s) => {
        while (!done()) {
          raw.api.C_SignInit(s, MECH, key);
          await raw.api.C_SignAsync(s, digest, Buffer.alloc(64));
          count();
        }
      }),
    ),
  );
}

function rawSync(session: Buffer): Promise<Run> {
  return measure(async (done, count) => {
    while (!done()) {
      raw.api.C_SignInit(session, MECH, key);
      raw.api.C_Sign(session, digest, Buffer.alloc(64));
      count();
    }
  });
}

async function makeBackend(sessions: number): Promise<SigningBackend> {
  const b = await createPkcs11Backend(
    {
      kid: "bench",
      uri: token.uri("bench-ed", `pool-size=${sessions}`),
      alg: "ed25519",
      status: "active",
      description: "",
      usage: ["sign"],
      dev: false,
      emergency: false,
      source: "bench",
    },
    { strict: false, dataDir: "/nonexistent" },
  );
  await Promise.all(Array.from({ length: sessions }, () => b.sign(digest))); // open the pool
  return b;
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const pkcs11js = require(workerData.pkcs11js);
const api = new pkcs11js.PKCS11();
api.load(workerData.module);
try { api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }); } catch (e) { if (!/ALREADY/.test(e.message)) throw e; }
const session = api.C_OpenSession(workerData.slot, pkcs11js.CKF_SERIAL_SESSION);
parentPort.on("message", (digest) => {
  api.C_SignInit(session, { mechanism: ${CK3.CKM_EDDSA} }, workerData.key);
  parentPort.postMessage(api.C_Sign(session, digest, Buffer.alloc(64)));
});
parentPort.postMessage("ready");`;

/** One worker per session; sign() waits for an idle worker, as the backend waits for a session. */
async function makeWorkers(count: number) {
  const workerData = {
    pkcs11js: createRequire(import.meta.url).resolve("pkcs11js"),
    module: token.modulePath,
    slot: raw.slot,
    key,
  };
  const pool = Array.from({ length: count }, () => new Worker(WORKER, { eval: true, workerData }));
  await Promise.all(pool.map((w) => new Promise((resolve) => w.once("message", resolve))));
  const idle = [...pool];
  const queue: ((w: Worker) => void)[] = [];
  const sign = async (): Promise<Buffer> => {
    const w = idle.pop() ?? (await new Promise<Worker>((resolve) => queue.push(resolve)));
    const sig = await new Promise<Buffer>((resolve) => {
      w.once("message", resolve);
      w.postMessage(digest);
    });
    const next = queue.shift();
    if (next) next(w);
    else idle.push(w);
    return sig;
  };
  return { sign, close: () => Promise.all(pool.map((w) => w.terminate())) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const row = (name: string, runs: Run[], ratio?: number) =>
  `${name.padEnd(22)} ${Math.round(median(runs.map((r) => r.rate)))
    .toString()
    .padStart(6)} sig/s  cpu ${median(runs.map((r) => r.cpuUs))
    .toFixed(0)
    .padStart(4)} µs/sig  lag ${Math.round(Math.max(...runs.map((r) => r.lagMs)))
    .toString()
    .padStart(4)} ms${ratio === undefined ? "" : `  ${ratio.toFixed(2)}x raw-async`}`;

console.log(
  `SoftHSM2 Ed25519; ${rounds} rounds of ${sliceMs} ms slices per mode; ${CONCURRENCY} concurrent callers`,
);
const [single] = [raw.api.C_OpenSession(raw.slot, pkcs11js.CKF_SERIAL_SESSION)];
const sync: Run[] = [];
for (let i = 0; i < Math.min(rounds, 3); i++) sync.push(await rawSync(single!));
raw.api.C_CloseSession(single!);
console.log(row("raw-sync, 1 session", sync));
for (const count of sessionCounts) {
  const sessions = Array.from({ length: count }, () =>
    raw.api.C_OpenSession(raw.slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  const backend = await makeBackend(count);
  const workers = await makeWorkers(count);
  const runs: Record<"raw" | "backend" | "workers", Run[]> = { raw: [], backend: [], workers: [] };
  const modes = {
    raw: () => rawAsync(sessions),
    backend: () => measure(callers(CONCURRENCY, () => backend.sign(digest))),
    workers: () => measure(callers(CONCURRENCY, workers.sign)),
  };
  const order = ["raw", "backend", "workers"] as const;
  for (let i = 0; i < rounds; i++) {
    // Rotate the order so no mode always runs right after another.
    for (let j = 0; j < order.length; j++) {
      const mode = order[(i + j) % order.length]!;
      runs[mode].push(await modes[mode]());
    }
  }
  const paired = (mode: "backend" | "workers") =>
    median(runs[mode].map((r, i) => r.rate / runs.raw[i]!.rate));
  console.log(row(`raw-async, ${count} sessions`, runs.raw));
  console.log(row(`backend, pool of ${count}`, runs.backend, paired("backend")));
  console.log(row(`workers, ${count} workers`, runs.workers, paired("workers")));
  await Promise.all([backend.close(), workers.close()]);
  for (const s of sessions) raw.api.C_CloseSession(s);
}
raw.close();
