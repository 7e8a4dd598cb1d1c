// A minimal Memory Layer service: every write is an audit event signed by the signing proxy.
//   terminal 1:  npm start                      (signer dev on https://localhost:8081)
//   terminal 2:  DATABASE_URL=postgres://… npm start --prefix examples/memory-layer
//   then:        curl -d '{"text":"hello"}' localhost:3000/memories; curl localhost:3000/audit/verify
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SigningProxyClient } from "@signing-proxy/client-sdk";
import {
  assertSignerConfigured,
  getAuditHealth,
  insertAuditEvent,
  migrate,
  signFailures,
  verifyAuditChain,
} from "@signing-proxy/memory-layer-adapter";
import pg from "pg";

/** Where the service stores and who signs for it. */
export interface MemoryServiceOptions {
  readonly pool: pg.Pool;
  readonly signer: SigningProxyClient;
}

/** The HTTP service: POST /memories, GET /audit/verify, GET /readyz, GET /metrics. */
export function createMemoryService({ pool, signer }: MemoryServiceOptions): Server {
  const routes: Record<string, (req: IncomingMessage) => Promise<[number, unknown]>> = {
    "POST /memories": async (req) => {
      const body = JSON.parse(await readBody(req)) as { text?: unknown };
      if (typeof body.text !== "string") return [400, { error: "text must be a string" }];
      // The memory and its audit event would share a transaction in a real service; here the event is the record.
      const row = await insertAuditEvent(
        pool,
        { eventType: "memory.write", payload: { text: body.text } },
        { signer },
      );
      return [201, { auditId: row.id, hash: row.hash, signerKid: row.signerKid }];
    },
    "GET /audit/verify": async () => [200, await verifyAuditChain(pool, { keys: await signer.getKeys() })],
    "GET /readyz": async () => {
      const health = await getAuditHealth({ signer });
      return [health.ok ? 200 : 503, health];
    },
  };
  return createServer((req, res) => {
    if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(signFailures.prometheusText());
      return;
    }
    const route = routes[`${req.method} ${req.url}`];
    if (!route) return send(res, 404, { error: "not found" });
    route(req).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => send(res, 503, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  // Production refuses to start without an audit signer; `signer dev` is the dev stand-in.
  assertSignerConfigured(env);
  if (!env.DATABASE_URL) throw new Error("set DATABASE_URL (PostgreSQL) to run the example");
  const certs = resolve(env.SIGNER_DATA_DIR ?? fileURLToPath(new URL("../../var", import.meta.url)), "certs");
  const signer = new SigningProxyClient({
    url: env.SIGNING_PROXY_URL ?? "https://localhost:8081",
    ca: readFileSync(env.SIGNING_PROXY_CA ?? join(certs, "ca.crt")),
    cert: readFileSync(env.SIGNING_PROXY_CERT ?? join(certs, "client.crt")),
    key: readFileSync(env.SIGNING_PROXY_KEY ?? join(certs, "client.key")),
  });
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL });
  await migrate(pool);
  const port = Number(env.PORT ?? 3000);
  createMemoryService({ pool, signer }).listen(port, "127.0.0.1", () => {
    process.stdout.write(
      `memory-layer example on http://127.0.0.1:${port} (signing proxy ${env.SIGNING_PROXY_URL ?? "https://localhost:8081"})\n`,
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.env).catch((err: unknown) => {
    process.stderr.write(`memory-layer example: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
