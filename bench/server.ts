// The server side of the benchmark, in its own process: the real service (prepared like `signer dev`)
// plus a trivial mTLS echo endpoint with the same TLS settings (the HTTP+TLS baseline, S1).
import Fastify from "fastify";
import { prepareDev } from "../signer/src/cli/dev-command.js";
import { loadConfig } from "../signer/src/config/config.js";
import { createLogger } from "../signer/src/observability/logger.js";
import { readTls, startService } from "../signer/src/service.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: server.ts DATA_DIR");
const started = performance.now();
const setup = await prepareDev(dataDir, {
  ...process.env,
  PORT: "0",
  MANAGEMENT_PORT: "0",
  LOG_LEVEL: "warn",
});
const config = loadConfig(setup.env);
const service = await startService(config, { logger: createLogger("warn") });
const readyMs = performance.now() - started;
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
process.send?.({
  url: service.url,
  echoUrl: `https://127.0.0.1:${typeof echoAddr === "object" && echoAddr ? echoAddr.port : 0}`,
  certsDir: setup.certsDir,
  readyMs,
});
process.on("message", (msg) => {
  if (msg === "rss") process.send?.({ rssMb: process.memoryUsage().rss / 1048576 });
});
process.once("SIGTERM", async () => {
  await echo.close();
  await service.close();
  process.exit(0);
});
