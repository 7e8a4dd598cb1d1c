import { isAlg } from "../../algorithms.js";
import { isStrictEnv, pkcs11PinFromEnv } from "../../config/pkcs11-pin.js";
import { BackendConfigError } from "../backend.js";
import { describeFailure } from "./errors.js";
import { configUriFor, generatePkcs11Key } from "./generate-key.js";
import { resolvePin } from "./pin.js";
import { parsePkcs11Uri } from "./uri.js";

/** The options of `signer keys generate --backend pkcs11`. */
export interface Pkcs11GenerateOptions {
  readonly uri: string | undefined;
  readonly alg: string | undefined;
  readonly json: boolean;
  readonly rsaBits?: number;
}

/** Where the command writes. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const USAGE =
  "usage: signer keys generate --backend pkcs11 --alg ALG " +
  "--uri 'pkcs11:token=T;object=LABEL?module-path=/path/module.so&pin-source=file:/path'\n";

/**
 * `signer keys generate --backend pkcs11 --uri … --alg …`: make a key on the token and print the
 * URI to configure (and the public key). Exit codes: 0 done, 1 refused or failed, 2 usage.
 */
export function pkcs11GenerateCommand(
  opts: Pkcs11GenerateOptions,
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): number {
  if (opts.uri === undefined || !isAlg(opts.alg)) {
    io.stderr(USAGE);
    return 2;
  }
  const alg = opts.alg;
  try {
    const uri = parsePkcs11Uri(opts.uri, "(new key)");
    // Only config reads the environment: it resolves pin-source=env: here as it does for the service.
    const secret = pkcs11PinFromEnv(opts.uri, "--uri", env);
    const pin = resolvePin({ kid: "(new key)", ...(secret ? { secret } : {}) }, uri.pin, isStrictEnv(env));
    const key = generatePkcs11Key({
      uri,
      alg,
      pin,
      ...(opts.rsaBits !== undefined ? { rsaBits: opts.rsaBits } : {}),
    });
    const configured = configUriFor(opts.uri, uri, key.id);
    const result = {
      uri: configured,
      alg,
      label: key.label,
      id: key.id.toString("hex"),
      publicKeyPem: key.publicKeyPem,
    };
    if (opts.json) io.stdout(`${JSON.stringify(result)}\n`);
    else {
      io.stdout(
        `generated ${alg} key ${JSON.stringify(key.label)} (id ${result.id}) on the token\nuri: ${configured}\n`,
      );
      if (key.publicKeyPem) io.stdout(key.publicKeyPem);
    }
    return 0;
  } catch (err) {
    io.stderr(`signer keys generate: ${message(err)}\n`);
    return 1;
  }
}

function message(err: unknown): string {
  if (err instanceof BackendConfigError) return err.message.replace(/^key \(new key\): /, "");
  return describeFailure(err);
}
