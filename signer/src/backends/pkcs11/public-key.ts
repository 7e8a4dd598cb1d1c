import { createPublicKey, type KeyObject } from "node:crypto";
import { ED25519_NAME_PARAMS_HEX, ED25519_OID_PARAMS_HEX, P256_PARAMS_HEX } from "./constants.js";

/** RSA below 2048 bits is refused (DESIGN.md A4). */
export const MIN_RSA_BITS = 2048;

/**
 * The bytes of an EC point from CKA_EC_POINT, which PKCS#11 specifies as a DER OCTET STRING but
 * some tokens return raw. `size` is the raw point's length (65 for uncompressed P-256, 32 for
 * Ed25519); anything else is refused rather than guessed at.
 */
export function unwrapEcPoint(value: Buffer, size: number): Buffer {
  if (value.length === size + 2 && value[0] === 0x04 && value[1] === size) return value.subarray(2);
  if (value.length === size) return value;
  throw new Error(
    `CKA_EC_POINT is ${value.length} bytes; expected a ${size}-byte point (raw or in an OCTET STRING)`,
  );
}

/** A P-256 public key from CKA_EC_PARAMS and CKA_EC_POINT; throws when the key is not P-256. */
export function p256PublicKey(params: Buffer, point: Buffer): KeyObject {
  // ecdsa-sha256 means P-256; a key on another curve makes signatures no verifier expects.
  if (params.toString("hex") !== P256_PARAMS_HEX) throw new Error("the EC key is not on P-256 (prime256v1)");
  const raw = unwrapEcPoint(point, 65);
  if (raw[0] !== 0x04) throw new Error("CKA_EC_POINT is not an uncompressed P-256 point");
  return createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: raw.subarray(1, 33).toString("base64url"),
      y: raw.subarray(33).toString("base64url"),
    },
    format: "jwk",
  });
}

/** True when CKA_EC_PARAMS names Ed25519, by OID or by the PKCS#11 3.0 curve name. */
export function isEd25519Params(params: Buffer): boolean {
  const hex = params.toString("hex");
  return hex === ED25519_OID_PARAMS_HEX || hex === ED25519_NAME_PARAMS_HEX;
}

/** An Ed25519 public key from CKA_EC_PARAMS and CKA_EC_POINT (SoftHSM: an OCTET STRING of 32 bytes). */
export function ed25519PublicKey(params: Buffer, point: Buffer): KeyObject {
  // Ed448 shares the key type CKK_EC_EDWARDS; its signatures are not ed25519.
  if (!isEd25519Params(params)) throw new Error("the EC_EDWARDS key is not Ed25519");
  const raw = unwrapEcPoint(point, 32);
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

/** An RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT; throws below 2048 bits. */
export function rsaPublicKey(modulus: Buffer, exponent: Buffer): KeyObject {
  const key = createPublicKey({
    key: {
      kty: "RSA",
      n: stripZeros(modulus).toString("base64url"),
      e: stripZeros(exponent).toString("base64url"),
    },
    format: "jwk",
  });
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // Short moduli are factorable.
  if (bits < MIN_RSA_BITS) throw new Error(`rsa-sha256 needs at least ${MIN_RSA_BITS} bits, not ${bits}`);
  return key;
}

/** A public key from a DER SubjectPublicKeyInfo (CKA_PUBLIC_KEY_INFO). */
export function spkiPublicKey(der: Buffer): KeyObject {
  return createPublicKey({ key: der, format: "der", type: "spki" });
}

function stripZeros(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
