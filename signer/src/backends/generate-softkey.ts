import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import type { Alg } from "../algorithms.js";
import { DEV_KEY_MARKER } from "./softkey/dev-marker.js";
import { MIN_HMAC_SECRET_BYTES, MIN_RSA_BITS } from "./softkey/load-key.js";

/** Options for {@link generateSoftKeyPem}. */
export interface GenerateSoftKeyOptions {
  /** Prefix the PEM with the `signer dev` marker line, so strict mode refuses the key. */
  readonly devMarker?: boolean;
  /** RSA modulus size (default 3072; at least 2048). */
  readonly rsaModulusBits?: number;
}

/**
 * A fresh software key as the bytes of its file, ready for `softkey:file=`: an unencrypted PKCS#8
 * PEM for the asymmetric algs, 32 random bytes for `hmac-sha256`. With `devMarker` the marker is
 * an explanatory line before `-----BEGIN` (RFC 7468 §5.2), which node and OpenSSL both ignore.
 */
export function generateSoftKeyPem(alg: Alg, options: GenerateSoftKeyOptions = {}): Buffer {
  if (alg === "hmac-sha256") {
    // Raw secret bytes have no place for a marker line: every byte is key.
    if (options.devMarker)
      throw new TypeError("an hmac-sha256 secret is raw bytes and cannot carry the dev marker");
    return randomBytes(MIN_HMAC_SECRET_BYTES);
  }
  const pem = privateKeyOf(alg, options.rsaModulusBits ?? 3072).export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  return Buffer.from(options.devMarker ? `${DEV_KEY_MARKER}\n${pem}` : pem, "utf8");
}

function privateKeyOf(alg: Exclude<Alg, "hmac-sha256">, rsaBits: number): KeyObject {
  switch (alg) {
    case "ed25519":
      return generateKeyPairSync("ed25519").privateKey;
    case "ecdsa-sha256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    case "rsa-sha256":
      // Never generate a key the backend would refuse.
      if (!Number.isInteger(rsaBits) || rsaBits < MIN_RSA_BITS) {
        throw new TypeError(`rsaModulusBits must be an integer ≥ ${MIN_RSA_BITS}`);
      }
      return generateKeyPairSync("rsa", { modulusLength: rsaBits }).privateKey;
  }
}
