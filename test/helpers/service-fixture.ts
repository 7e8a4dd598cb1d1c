import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent } from "undici";
import { writeDevCerts } from "../../signer/src/certs/write-dev-certs.js";
import { loadConfig } from "../../signer/src/config/config.js";
import { createLogger, type Logger } from "../../signer/src/observability/logger.js";
import { type RunningService, startService } from "../../signer/src/service.js";
import { tlsAgent } from "./tls-client.js";

/** A running service in a throwaway directory with certificates for several principals. */
export interface ServiceFixture {
  readonly dir: string;
  readonly service: RunningService;
  readonly ca: Buffer;
  /** An mTLS agent presenting the client certificate of `cn`. */
  agent(cn: string): Agent;
  readonly hmacSecret: Buffer;
  close(): Promise<void>;
}

/** The keys the fixture configures: one per algorithm, plus a candidate and an ungranted key. */
export const FIXTURE_KIDS = ["k-ed25519", "k-ecdsa", "k-rsa", "k-hmac"] as const;

function pem(alg: "ed25519" | "ec" | "rsa"): string {
  const pair =
    alg === "ed25519"
      ? generateKeyPairSync("ed25519")
      : alg === "ec"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

/** Start a full service (SQLite unless env gives DATABASE_URL) on ephemeral ports. */
export async function startFixture(
  options: {
    env?: Record<string, string>;
    configPatch?: Record<string, unknown>;
    clients?: string[];
    logger?: Logger;
    /** Configure a transparency log: key `k-log` (ed25519), origin `signer.test/log`. */
    transparencyLog?: boolean;
  } = {},
): Promise<ServiceFixture> {
  const dir = mkdtempSync(join(tmpdir(), "signer-e2e-"));
  const clients = ["memory-layer", "auditor", "stranger", "operator", ...(options.clients ?? [])];
  // "cn=uri" also puts a SAN URI in that client's certificate.
  const specs = clients.map((c) => {
    const [cn, sanUri] = c.split("=", 2) as [string, string | undefined];
    return sanUri ? { cn, sanUri } : { cn };
  });
  const certs = await writeDevCerts(join(dir, "certs"), { clients: specs });
  const keyFile = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const hmacSecret = randomBytes(32);
  const config = {
    keys: [
      {
        kid: "k-ed25519",
        uri: `softkey:file=${keyFile("ed.pem", pem("ed25519"))}`,
        alg: "ed25519",
        description: "ed",
      },
      { kid: "k-ecdsa", uri: `softkey:file=${keyFile("ec.pem", pem("ec"))}`, alg: "ecdsa-sha256" },
      { kid: "k-rsa", uri: `softkey:file=${keyFile("rsa.pem", pem("rsa"))}`, alg: "rsa-sha256" },
      { kid: "k-hmac", uri: `softkey:file=${keyFile("hmac.bin", hmacSecret)}`, alg: "hmac-sha256" },
      {
        kid: "k-candidate",
        uri: `softkey:file=${keyFile("cand.pem", pem("ed25519"))}`,
        alg: "ed25519",
        status: "candidate",
      },
      { kid: "k-other", uri: `softkey:file=${keyFile("other.pem", pem("ed25519"))}`, alg: "ed25519" },
      { kid: "k-audit", uri: `softkey:file=${keyFile("audit.pem", pem("ed25519"))}`, alg: "ed25519" },
      ...(options.transparencyLog
        ? [{ kid: "k-log", uri: `softkey:file=${keyFile("log.pem", pem("ed25519"))}`, alg: "ed25519" }]
        : []),
    ],
    ...(options.transparencyLog ? { logKid: "k-log", logOrigin: "signer.test/log" } : {}),
    defaultKid: "k-ed25519",
    auditKid: "k-audit",
    principals: [
      {
        id: "memory-layer",
        match: { cn: "memory-layer" },
        roles: ["service"],
        keys: [...FIXTURE_KIDS, "k-candidate"],
      },
      { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
      { id: "operator", match: { cn: "operator" }, roles: ["Operator"], keys: ["k-other"] },
      { id: "admin", match: { cn: "dev-client" }, roles: ["SuperAdmin"], keys: [...FIXTURE_KIDS, "k-other"] },
    ],
    ...options.configPatch,
  };
  const configFile = keyFile("config.json", JSON.stringify(config));
  const env: Record<string, string> = {
    SIGNER_CONFIG: configFile,
    SIGNER_DATA_DIR: join(dir, "data"),
    TLS_CERT_FILE: certs.serverCert,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: certs.caCert,
    PORT: "0",
    MANAGEMENT_PORT: "0",
    LOG_LEVEL: "silent",
    ...options.env,
  };
  const service = await startService(loadConfig(env), { logger: options.logger ?? createLogger("silent") });
  const ca = readFileSync(certs.caCert);
  const agents: Agent[] = [];
  return {
    dir,
    service,
    ca,
    hmacSecret,
    agent(cn: string) {
      const base = cn === "dev-client" ? "client" : cn.split("=")[0]!;
      const agent = tlsAgent({
        ca,
        cert: readFileSync(join(dir, "certs", `${base}.crt`)),
        key: readFileSync(join(dir, "certs", `${base}.key`)),
      });
      agents.push(agent);
      return agent;
    },
    async close() {
      await Promise.allSettled(agents.map((a) => a.close()));
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
