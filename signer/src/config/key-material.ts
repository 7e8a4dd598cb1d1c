import { createPrivateKey, type KeyObject } from "node:crypto";
import { ALGORITHMS, type Alg } from "../algorithms.js";
import { ConfigError } from "./config-error.js";
import type { Secret } from "./secret.js";

/** HMAC keys shorter than the hash output weaken HMAC-SHA-256 (RFC 2104 §3): refuse them. */
export const MIN_HMAC_SECRET_BYTES = 32;

/** RSA below 2048 bits is refused (DESIGN.md A4). */
const MIN_RSA_BITS = 2048;

/** True when the bytes look like a PEM document rather than a raw secret. */
export function looksLikePem(secret: Secret): boolean {
  return secret.revealText().includes("-----BEGIN ");
}

/**
 * PEM from an environment variable often arrives with literal `\n` escapes (env files, CI
 * settings). PEM never contains a backslash, so unescaping is unambiguous.
 */
export function unescapePem(text: string): string {
  return text.includes("\n") ? text : text.replaceAll("\\n", "\n");
}

/**
 * The algorithm a PEM private key supports: Ed25519, P-256 ECDSA or RSA ≥ 2048. When `requested`
 * (from `requestedBy`) names an asymmetric algorithm it must match the key; `hmac-sha256` (the
 * shortcut default) is ignored for a PEM key. Errors never include the key.
 */
export function inferPemAlg(
  pem: string,
  name: string,
  requested: Alg | undefined,
  requestedBy = "AUDIT_SIGNING_ALG",
): Alg {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(name, "not a readable PEM private key (PKCS#8, SEC1 or PKCS#1, unencrypted)");
  }
  const inferred = algOfKey(key, name);
  if (requested !== undefined && ALGORITHMS[requested].asymmetric && requested !== inferred) {
    throw new ConfigError(name, `the key is ${inferred} but ${requestedBy} is ${requested}`);
  }
  return inferred;
}

function algOfKey(key: KeyObject, name: string): Alg {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "ed25519";
    case "ec":
      if (details?.namedCurve === "prime256v1") return "ecdsa-sha256";
      throw new ConfigError(name, `EC keys must use P-256, not ${details?.namedCurve ?? "an unknown curve"}`);
    case "rsa":
      if ((details?.modulusLength ?? 0) >= MIN_RSA_BITS) return "rsa-sha256";
      throw new ConfigError(name, `RSA keys must have at least ${MIN_RSA_BITS} bits`);
    default:
      throw new ConfigError(
        name,
        `unsupported key type ${key.asymmetricKeyType ?? "unknown"}; expected Ed25519, P-256 or RSA`,
      );
  }
}

/** Refuse a short HMAC secret. */
export function checkHmacSecret(secret: Secret, name: string): void {
  if (secret.reveal().length < MIN_HMAC_SECRET_BYTES) {
    throw new ConfigError(name, `an hmac-sha256 secret must be at least ${MIN_HMAC_SECRET_BYTES} bytes`);
  }
}
