import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isAlg } from "../algorithms.js";
import { generateSoftKeyPem } from "../backends/generate-softkey.js";
import { pkcs11GenerateCommand } from "../backends/pkcs11/generate-command.js";
import { signerEntry } from "../routes/keys.js";
import { openStore } from "../store/open-store.js";
import { configOrExit } from "./serve-command.js";

const HELP = `usage:
  signer keys list [--json]
      Lists the key registry (kid, algorithm, status, deployedAt) from the store that
      DATABASE_URL / SIGNER_DATA_DIR name. --json prints the /keys body.
  signer keys generate --backend softkey --alg ed25519|ecdsa-sha256|rsa-sha256|hmac-sha256 --out FILE
      Writes a new software key (PEM; raw bytes for HMAC) with mode 0600. Software keys are for
      dev/CI only; production keys live in KMS or an HSM.
  signer keys generate --backend pkcs11 --alg ALG [--json]
      --uri 'pkcs11:token=TOKEN;object=LABEL?module-path=/path/module.so&pin-source=file:/path'
      Generates the key on the token (sensitive, never extractable; RSA 3072-bit), refusing when an
      object with that label or id exists, and prints the URI to configure and the public key.
`;

/** `signer keys …`. */
export async function keysCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      backend: { type: "string" },
      alg: { type: "string" },
      out: { type: "string" },
      uri: { type: "string" },
    },
    strict: true,
  });
  const action = positionals[0];
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (action === "list") {
    const config = configOrExit(env);
    if (!config) return 2;
    const store = await openStore({
      dataDir: config.dataDir,
      readonly: true,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.revealText() } : {}),
    });
    try {
      const signers = (await store.listKeys()).map(signerEntry);
      if (values.json) process.stdout.write(`${JSON.stringify({ signers }, null, 2)}\n`);
      else {
        process.stdout.write(`${"KID".padEnd(28)} ${"ALG".padEnd(14)} ${"STATUS".padEnd(10)} DEPLOYED\n`);
        for (const s of signers) {
          process.stdout.write(
            `${(s.signer_kid ?? "").padEnd(28)} ${(s.algorithm ?? "").padEnd(14)} ${(s.status ?? "").padEnd(10)} ${s.deployedAt}\n`,
          );
        }
      }
      return 0;
    } finally {
      await store.close();
    }
  }
  if (action === "generate") {
    if (values.backend === "pkcs11") {
      return pkcs11GenerateCommand({ uri: values.uri, alg: values.alg, json: values.json === true }, env, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    }
    if (values.backend !== "softkey") {
      process.stderr.write(
        "signer keys generate: --backend softkey or pkcs11 (awskms keys are made in KMS)\n",
      );
      return 2;
    }
    if (!isAlg(values.alg) || !values.out) {
      process.stderr.write(HELP);
      return 2;
    }
    // Never overwrite a key: losing a private key is not undoable.
    if (existsSync(values.out)) {
      process.stderr.write(`signer keys generate: ${values.out} exists; refusing to overwrite\n`);
      return 1;
    }
    writeFileSync(values.out, generateSoftKeyPem(values.alg, { devMarker: false }), {
      mode: 0o600,
      flag: "wx",
    });
    process.stdout.write(
      values.json ? `${JSON.stringify({ out: values.out, alg: values.alg })}\n` : `wrote ${values.out}\n`,
    );
    return 0;
  }
  process.stderr.write(HELP);
  return 2;
}
