import { readFileSync } from "node:fs";
import { Secret } from "../../config/secret.js";
import type { KeyConfig } from "../../config/types.js";
import { BackendConfigError } from "../backend.js";
import type { PinSpec } from "./uri.js";

/** No token PIN comes near this; a bigger file is the wrong file. */
const MAX_PIN_FILE_BYTES = 1024;

/**
 * The token PIN a key URI points to: `pin-source=file:` is read here, `pin-source=env:` was
 * resolved by config into `key.secret` (only config reads the environment), `pin-value=` is
 * refused in strict mode. Messages name the source, never the PIN.
 */
export function resolvePin(key: Pick<KeyConfig, "kid" | "secret">, spec: PinSpec, strict: boolean): Secret {
  switch (spec.kind) {
    case "value":
      // A PIN in the URI ends up in config files, process listings and logs.
      if (strict) {
        throw new BackendConfigError(
          key.kid,
          "pin-value= is refused in strict mode (NODE_ENV=production or REQUIRE_KMS=true); use pin-source=file:PATH",
        );
      }
      return spec.value;
    case "env":
      if (key.secret === undefined) {
        throw new BackendConfigError(
          key.kid,
          `pin-source=env:${spec.name} was not resolved by config (no secret on the key)`,
        );
      }
      return key.secret;
    case "file":
      return readPinFile(key.kid, spec.path);
    case "none":
      throw new BackendConfigError(
        key.kid,
        "the pkcs11: URI gives no PIN; add pin-source=file:PATH or pin-source=env:NAME",
      );
  }
}

function readPinFile(kid: string, path: string): Secret {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    throw new BackendConfigError(kid, `cannot read the PIN file ${path} (${code})`);
  }
  if (bytes.length > MAX_PIN_FILE_BYTES)
    throw new BackendConfigError(kid, `the PIN file ${path} is too large to be a PIN`);
  // `echo 1234 > pin` adds a newline that is not part of the PIN.
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  const pin = new Secret(bytes.subarray(0, end));
  bytes.fill(0);
  if (pin.reveal().length === 0) throw new BackendConfigError(kid, `the PIN file ${path} is empty`);
  return pin;
}
