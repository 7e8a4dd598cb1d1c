#!/usr/bin/env node
// Writes the OpenAPI 3.1 document the service serves at GET /openapi.json, at image build time
// (deploy/Dockerfile), so API gateways and reviewers get it without a client certificate.
// It starts the compiled service on loopback with a throwaway dev key, CA and SQLite store, asks
// the main app for its generated document, and stops: the file is exactly what the routes declare.
//   node deploy/write-openapi.mjs [--dist signer/dist] --out signer/dist/openapi.json
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { dist: { type: "string", default: "signer/dist" }, out: { type: "string" } },
  strict: true,
});
if (!values.out) {
  process.stderr.write("usage: write-openapi.mjs [--dist DIR] --out FILE\n");
  process.exit(2);
}
const dist = resolve(values.dist);
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { writeDevCerts } = await load("certs/write-dev-certs.js");
const { loadConfig } = await load("config/config.js");
const { createLogger } = await load("observability/logger.js");
const { startService } = await load("service.js");

const dir = mkdtempSync(join(tmpdir(), "signer-openapi-"));
try {
  const certs = await writeDevCerts(join(dir, "certs"), { clients: [] });
  const keyFile = join(dir, "openapi-key.pem");
  const { privateKey } = generateKeyPairSync("ed25519");
  writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const configFile = join(dir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({ keys: [{ kid: "openapi", uri: `softkey:file=${keyFile}`, alg: "ed25519" }] }),
  );
  // Not strict mode: this throwaway software key exists only to let the app start.
  const env = {
    SIGNER_CONFIG: configFile,
    SIGNER_DATA_DIR: join(dir, "data"),
    TLS_CERT_FILE: certs.serverCert,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: certs.caCert,
    HOST: "127.0.0.1",
    PORT: "0",
    MANAGEMENT_PORT: "0",
  };
  const service = await startService(loadConfig(env, { cwd: dir }), { logger: createLogger("silent") });
  try {
    const document = service.main.swagger();
    writeFileSync(values.out, `${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(`openapi: ${Object.keys(document.paths ?? {}).length} paths to ${values.out}\n`);
  } finally {
    await service.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
