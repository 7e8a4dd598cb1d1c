import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type { Alg } from "../../algorithms.js";
import { BackendConfigError } from "../backend.js";

/** HMAC keys shorter than the hash output weaken HMAC-SHA-256 (RFC 2104 §3). */
export const MIN_HMAC_SECRET_BYTES = 32;
/** RSA below 2048 bits is refused (DESIGN.md A4). */
export const MIN_RSA_BITS = 2048;

/** A software key imported once, checked against its alg, ready to sign. */
export type SoftKeyMaterial =
  | { readonly alg: "ed25519"; readonly privateKey: KeyObject; readonly publicKey: KeyObject }
  | {
      readonly alg: "ecdsa-sha256";
      readonly privateKey: KeyObject;
      readonly publicKey: KeyObject;
      /** The 32-byte private scalar, for @noble/curves (node:crypto cannot sign a prehash). */
      readonly scalar: Uint8Array;
    }
  | { readonly alg: "rsa-sha256"; readonly privateKey: KeyObject; readonly publicKey: KeyObject }
  | { readonly alg: "hmac-sha256"; readonly secret: Buffer };

/**
 * Import key material for `alg`: a PEM private key (PKCS#8, SEC1 or PKCS#1, unencrypted) for the
 * asymmetric algs, the raw bytes (≥ 32) for `hmac-sha256`. Throws a BackendConfigError saying
 * precisely what does not fit; messages never include the material.
 */
export function importSoftKey(kid: string, alg: Alg, material: Buffer): SoftKeyMaterial {
  const text = material.toString("utf8");
  const isPem = text.includes("-----BEGIN ");
  if (alg === "hmac-sha256") {
    // A PEM here means the alg is wrong, not that the PEM text is meant as a secret.
    if (isPem)
      throw new BackendConfigError(kid, "the key material is a PEM document, but alg is hmac-sha256");
    if (material.length < MIN_HMAC_SECRET_BYTES) {
      throw new BackendConfigError(
        kid,
        `an hmac-sha256 secret must be at least ${MIN_HMAC_SECRET_BYTES} bytes (got ${material.length})`,
      );
    }
    return { alg, secret: Buffer.from(material) };
  }
  if (!isPem) throw new BackendConfigError(kid, `${alg} needs a PEM private key; the material is not PEM`);
  const privateKey = parsePrivatePem(kid, unescapeNewlines(text));
  checkKeyFitsAlg(kid, alg, privateKey);
  const publicKey = createPublicKey(privateKey);
  if (alg === "ecdsa-sha256") return { alg, privateKey, publicKey, scalar: p256Scalar(kid, privateKey) };
  return { alg, privateKey, publicKey };
}

/** PEM pasted into an env file often has literal `\n`; PEM never holds a backslash, so this is unambiguous. */
function unescapeNewlines(text: string): string {
  return text.includes("\n") ? text : text.replaceAll("\\n", "\n");
}

function parsePrivatePem(kid: string, pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MISSING_PASSPHRASE" || pem.includes("ENCRYPTED")) {
      throw new BackendConfigError(
        kid,
        "encrypted PEM private keys are not supported; decrypt it into a 0600 file",
      );
    }
    throw new BackendConfigError(
      kid,
      "not a readable PEM private key (PKCS#8, SEC1 or PKCS#1, unencrypted)",
      {
        cause: err,
      },
    );
  }
}

/** Refuse a key whose type does not make the alg's signatures exactly (DESIGN.md A4). */
function checkKeyFitsAlg(kid: string, alg: Exclude<Alg, "hmac-sha256">, key: KeyObject): void {
  const type = key.asymmetricKeyType ?? "unknown";
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case "ed25519":
      if (type !== "ed25519")
        throw new BackendConfigError(kid, `alg is ed25519 but the key is ${describe(key)}`);
      return;
    case "ecdsa-sha256":
      if (type !== "ec")
        throw new BackendConfigError(kid, `alg is ecdsa-sha256 but the key is ${describe(key)}`);
      // ecdsa-sha256 means P-256; another curve would give signatures no verifier expects.
      if (details?.namedCurve !== "prime256v1") {
        throw new BackendConfigError(
          kid,
          `ecdsa-sha256 needs a P-256 (prime256v1) key, not ${describe(key)}`,
        );
      }
      return;
    case "rsa-sha256": {
      // An RSA-PSS-restricted key must not make PKCS#1 v1.5 signatures.
      if (type !== "rsa")
        throw new BackendConfigError(kid, `alg is rsa-sha256 but the key is ${describe(key)}`);
      const bits = details?.modulusLength ?? 0;
      // Short moduli are factorable.
      if (bits < MIN_RSA_BITS) {
        throw new BackendConfigError(
          kid,
          `rsa-sha256 needs an RSA key of at least ${MIN_RSA_BITS} bits, not ${bits}`,
        );
      }
      return;
    }
  }
}

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "ec":
      return `an EC ${details?.namedCurve ?? "unknown-curve"} key`;
    case "rsa":
    case "rsa-pss":
      return `an ${key.asymmetricKeyType.toUpperCase()} ${details?.modulusLength ?? "?"}-bit key`;
    default:
      return `an ${key.asymmetricKeyType ?? "unknown"} key`;
  }
}

function p256Scalar(kid: string, key: KeyObject): Uint8Array {
  const d = Buffer.from(key.export({ format: "jwk" }).d ?? "", "base64url");
  if (d.length !== 32) throw new BackendConfigError(kid, "cannot read the P-256 private scalar");
  return Uint8Array.from(d);
}
