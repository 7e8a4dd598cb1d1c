import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateSoftKeyPem } from "../backends/generate-softkey.js";
import { writeDevCerts } from "../certs/write-dev-certs.js";
import { configOrExit, runUntilSignal } from "./serve-command.js";

const HELP = `usage: signer dev [--data-dir DIR]

Zero-config local service for development. Under SIGNER_DATA_DIR (default ./var) it creates, once:
  certs/ca.crt, certs/server.{crt,key}, certs/client.{crt,key}   dev CA and certificates (client CN dev-client)
  keys/dev-ed25519.pem                                           dev Ed25519 key (refused in strict mode)
  dev-config.json                                                SIGNER_CONFIG: the key and the dev-client principal
  signer.db                                                      embedded SQLite store
then serves on 127.0.0.1 and prints a working curl command. Refuses to run with NODE_ENV=production.
`;

/** Paths and env that `signer dev` prepared. */
export interface DevSetup {
  readonly env: NodeJS.ProcessEnv;
  readonly certsDir: string;
}

/** Create (once) the dev CA, certificates, key and config under `dataDir`; return the env to serve with. */
export async function prepareDev(dataDir: string, env: NodeJS.ProcessEnv): Promise<DevSetup> {
  const certsDir = join(dataDir, "certs");
  const keysDir = join(dataDir, "keys");
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const certs = await writeDevCerts(certsDir, {});
  const keyFile = join(keysDir, "dev-ed25519.pem");
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, generateSoftKeyPem("ed25519", { devMarker: true }), { mode: 0o600 });
  }
  const configFile = join(dataDir, "dev-config.json");
  if (!existsSync(configFile)) {
    const devConfig = {
      keys: [
        {
          kid: "dev-ed25519",
          uri: `softkey:file=${keyFile}`,
          alg: "ed25519",
          status: "active",
          description: "signer dev key (development only)",
        },
      ],
      defaultKid: "dev-ed25519",
      auditKid: "dev-ed25519",
      principals: [
        { id: "dev-client", match: { cn: "dev-client" }, roles: ["SuperAdmin"], keys: ["dev-ed25519"] },
      ],
    };
    writeFileSync(configFile, `${JSON.stringify(devConfig, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    certsDir,
    env: {
      ...env,
      SIGNER_DATA_DIR: dataDir,
      SIGNER_CONFIG: env.SIGNER_CONFIG ?? configFile,
      TLS_CERT_FILE: env.TLS_CERT_FILE ?? certs.serverCert,
      TLS_KEY_FILE: env.TLS_KEY_FILE ?? certs.serverKey,
      TLS_CLIENT_CA_FILE: env.TLS_CLIENT_CA_FILE ?? certs.caCert,
      HOST: "127.0.0.1",
    },
  };
}

/** `signer dev`. */
export async function devCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" }, "data-dir": { type: "string" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Dev keys and a dev CA must never back a production deployment.
  if (env.NODE_ENV === "production") {
    process.stderr.write(
      "signer dev: refused with NODE_ENV=production; use 'signer serve' with real keys and certificates\n",
    );
    return 2;
  }
  const dataDir = resolve(values["data-dir"] ?? env.SIGNER_DATA_DIR ?? "./var");
  const setup = await prepareDev(dataDir, env);
  const config = configOrExit(setup.env);
  if (!config) return 2;
  const c = setup.certsDir;
  const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  process.stdout.write(
    `\nsigner dev: data in ${dataDir}\nTry:\n  curl --cacert ${c}/ca.crt --cert ${c}/client.crt --key ${c}/client.key \\\n    -H 'content-type: application/json' -d '{"digestHex":"${digest}"}' \\\n    https://localhost:${config.port}/sign/hash\n  curl http://127.0.0.1:${config.managementPort}/keys\n\n`,
  );
  return runUntilSignal(config);
}
