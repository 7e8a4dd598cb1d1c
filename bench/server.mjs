// The server side of the benchmark, in its own process: the real service as it runs in production
// (the compiled build in signer/dist, plain node, no TypeScript loader), plus a trivial mTLS echo
// endpoint with the same TLS settings (S1, the HTTP+TLS baseline). argv[2] is a JSON ServerSpec
// (bench/server-spec.ts); `npm run bench` builds signer/dist first.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Fastify from "fastify";
import { prepareDev } from "../signer/dist/cli/dev-command.js";
import { loadConfig } from "../signer/dist/config/config.js";
import { createLogger } from "../signer/dist/observability/logger.js";
import { readTls, startService } from "../signer/dist/service.js";

/** @type {import("./server-spec.ts").ServerSpec} */
const spec = JSON.parse(process.argv[2] ?? "{}");
const setup = await prepareDev(spec.dataDir, {
  ...process.env,
  PORT: "0",
  MANAGEMENT_PORT: "0",
  LOG_LEVEL: "warn",
});
const configFile = join(spec.dataDir, "bench-config.json");
const keys = [
  {
    kid: "dev-ed25519",
    uri: `softkey:file=${join(spec.dataDir, "keys", "dev-ed25519.pem")}`,
    alg: "ed25519",
  },
];
if (spec.pkcs11Uri) keys.push({ kid: "p11-ed25519", uri: spec.pkcs11Uri, alg: "ed25519" });
writeFileSync(
  configFile,
  JSON.stringify({
    keys,
    defaultKid: "dev-ed25519",
    auditKid: "dev-ed25519",
    principals: [
      {
        id: "bench",
        match: { cn: "dev-client" },
        roles: ["service"],
        keys: keys.map((k) => k.kid),
      },
    ],
  }),
);
const env = {
  ...setup.env,
  SIGNER_CONFIG: configFile,
  SIGNER_BATCH_MAX: "1024",
  ...(spec.databaseUrl ? { DATABASE_URL: spec.databaseUrl } : {}),
};
const config = loadConfig(env);
const service = await startService(config, { logger: createLogger("warn") });
// Cold start: from process start (module loading included) to both ports listening.
const readyMs = process.uptime() * 1000;
const tls = readTls(config);
const echo = Fastify({
  https: {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.3",
  },
});
echo.post("/echo", async (request) => request.body);
await echo.listen({ host: "127.0.0.1", port: 0 });
const echoAddr = echo.server.address();
/** @type {import("./server-spec.ts").ServerInfo} */
const info = {
  url: service.url,
  echoUrl: `https://127.0.0.1:${typeof echoAddr === "object" && echoAddr ? echoAddr.port : 0}`,
  certsDir: setup.certsDir,
  readyMs,
};
process.send?.(info);
process.on("message", (msg) => {
  if (msg === "usage") {
    const cpu = process.cpuUsage();
    const m = process.memoryUsage();
    const elu = performance.eventLoopUtilization();
    // Event-loop busy time (ms) of the main thread: near the wall time means the loop is the limit.
    process.send?.({ rssMb: m.rss / 1048576, cpuUs: cpu.user + cpu.system, loopBusyMs: elu.active });
  }
});
process.once("SIGTERM", async () => {
  await echo.close();
  await service.close();
  process.exit(0);
});
