import { readFileSync } from "node:fs";
import type { KeyConfig } from "../../config/types.js";
import { BackendConfigError } from "../backend.js";
import type { SoftKeyLocation } from "./uri.js";

/** No PEM private key (RSA-16384 included) or HMAC secret comes near this; a bigger file is a mistake. */
const MAX_MATERIAL_BYTES = 64 * 1024;

/**
 * The raw key material: the file's bytes for `file=`, otherwise the secret config resolved
 * (`env=` and `inline`; only config reads the environment). The caller owns the returned copy.
 */
export function readSoftKeyMaterial(key: KeyConfig, location: SoftKeyLocation): Buffer {
  if (location.source === "file") return readKeyFile(key.kid, location.path);
  if (key.secret === undefined) {
    const what = location.source === "env" ? `environment variable ${location.name}` : "inline key material";
    throw new BackendConfigError(key.kid, `the ${what} was not resolved by config (no secret on the key)`);
  }
  return Buffer.from(key.secret.reveal());
}

function readKeyFile(kid: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    throw new BackendConfigError(kid, `cannot read key file ${path} (${code})`, { cause: err });
  }
  if (bytes.length > MAX_MATERIAL_BYTES) {
    throw new BackendConfigError(
      kid,
      `key file ${path} is larger than ${MAX_MATERIAL_BYTES} bytes; not a key`,
    );
  }
  if (bytes.length === 0) throw new BackendConfigError(kid, `key file ${path} is empty`);
  return bytes;
}
