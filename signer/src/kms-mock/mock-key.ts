import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from "node:crypto";
import { verifyDigest, verifyEd25519Message } from "@signing-proxy/client-sdk";
import type { Alg } from "../algorithms.js";
import { importSoftKey, type SoftKeyMaterial } from "../backends/softkey/load-key.js";
import { signDigest } from "../backends/softkey/sign-digest.js";
import { invalidKeyUsage, KmsError } from "./kms-error.js";

/** The key specs the mock can create. */
export const MOCK_KEY_SPECS = Object.freeze([
  "ECC_NIST_P256",
  "ECC_NIST_EDWARDS25519",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "HMAC_256",
] as const);
/** One of {@link MOCK_KEY_SPECS}. */
export type MockKeySpec = (typeof MOCK_KEY_SPECS)[number];
/** The key usages the mock supports. */
export type MockKeyUsage = "SIGN_VERIFY" | "GENERATE_VERIFY_MAC";

interface SpecInfo {
  readonly alg: Alg;
  readonly usage: MockKeyUsage;
  readonly signing: readonly string[];
  readonly mac: readonly string[];
  readonly rsaBits?: number;
}

/** Per key spec: the A4 alg whose signatures it makes and the algorithms it offers (a subset of real KMS). */
export const SPEC_INFO: Readonly<Record<MockKeySpec, SpecInfo>> = Object.freeze({
  ECC_NIST_P256: { alg: "ecdsa-sha256", usage: "SIGN_VERIFY", signing: ["ECDSA_SHA_256"], mac: [] },
  ECC_NIST_EDWARDS25519: { alg: "ed25519", usage: "SIGN_VERIFY", signing: ["ED25519_SHA_512"], mac: [] },
  RSA_2048: {
    alg: "rsa-sha256",
    usage: "SIGN_VERIFY",
    signing: ["RSASSA_PKCS1_V1_5_SHA_256"],
    mac: [],
    rsaBits: 2048,
  },
  RSA_3072: {
    alg: "rsa-sha256",
    usage: "SIGN_VERIFY",
    signing: ["RSASSA_PKCS1_V1_5_SHA_256"],
    mac: [],
    rsaBits: 3072,
  },
  RSA_4096: {
    alg: "rsa-sha256",
    usage: "SIGN_VERIFY",
    signing: ["RSASSA_PKCS1_V1_5_SHA_256"],
    mac: [],
    rsaBits: 4096,
  },
  HMAC_256: { alg: "hmac-sha256", usage: "GENERATE_VERIFY_MAC", signing: [], mac: ["HMAC_SHA_256"] },
});

/** RAW messages are at most 4096 bytes (the real service's limit). */
export const MAX_MESSAGE_BYTES = 4096;

/** Fresh key material as stored in the state file: PKCS#8 PEM, or base64 of a 32-byte HMAC secret. */
export function generateMaterial(spec: MockKeySpec): string {
  const info = SPEC_INFO[spec];
  if (info.alg === "hmac-sha256") return randomBytes(32).toString("base64");
  const pair =
    info.alg === "ed25519"
      ? generateKeyPairSync("ed25519")
      : info.alg === "ecdsa-sha256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: info.rsaBits ?? 2048 });
  return pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

/** Import stored material once, with the same loader (and so the same checks) as `softkey:`. */
export function importMaterial(keyId: string, spec: MockKeySpec, material: string): SoftKeyMaterial {
  const alg = SPEC_INFO[spec].alg;
  return importSoftKey(
    keyId,
    alg,
    alg === "hmac-sha256" ? Buffer.from(material, "base64") : Buffer.from(material),
  );
}

/**
 * The digest or message a signing algorithm works on. ECDSA and RSA take a SHA-256 prehash
 * (`DIGEST`, exactly 32 bytes) or hash a `RAW` message; Ed25519 (pure) takes only `RAW`.
 */
function signingInput(algorithm: string, messageType: string, message: Buffer): Buffer {
  if (algorithm === "ED25519_SHA_512") {
    if (messageType !== "RAW") {
      throw new KmsError("ValidationException", "ED25519_SHA_512 requires MessageType RAW.");
    }
    return message;
  }
  if (messageType === "DIGEST") {
    // A prehash of the wrong length cannot be a SHA-256 digest.
    if (message.length !== 32) {
      throw new KmsError("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`);
    }
    return message;
  }
  return createHash("sha256").update(message).digest();
}

/** Sign exactly as the `softkey:` backend does, so mock and softkey signatures are byte-identical. */
export function signMessage(
  material: SoftKeyMaterial,
  algorithm: string,
  messageType: string,
  message: Buffer,
): Buffer {
  checkAlgorithm(material, algorithm);
  const input = signingInput(algorithm, messageType, message);
  if (material.alg === "ed25519") return sign(null, input, material.privateKey);
  return signDigest(material, input);
}

/** Check a signature; false for any mismatch or malformed encoding. */
export function verifyMessage(
  material: SoftKeyMaterial,
  algorithm: string,
  messageType: string,
  message: Buffer,
  signature: Buffer,
): boolean {
  checkAlgorithm(material, algorithm);
  const input = signingInput(algorithm, messageType, message);
  if (material.alg === "hmac-sha256") return false;
  if (material.alg === "ed25519") {
    return verifyEd25519Message({ publicKey: material.publicKey, message: input, signature });
  }
  return verifyDigest({
    alg: material.alg,
    publicKey: material.publicKey,
    digestHex: input.toString("hex"),
    signature,
  });
}

/** HMAC-SHA-256 of `message`. */
export function macMessage(material: SoftKeyMaterial, algorithm: string, message: Buffer): Buffer {
  if (material.alg !== "hmac-sha256") throw invalidKeyUsage("The key usage is not GENERATE_VERIFY_MAC.");
  if (algorithm !== "HMAC_SHA_256") throw invalidKeyUsage(`${algorithm} is not valid for this key.`);
  return createHmac("sha256", material.secret).update(message).digest();
}

/** Constant-time MAC comparison, as KMS does it. */
export function macMatches(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function checkAlgorithm(material: SoftKeyMaterial, algorithm: string): void {
  if (material.alg === "hmac-sha256") throw invalidKeyUsage("The key usage is not SIGN_VERIFY.");
  const allowed: Readonly<Record<string, string>> = {
    ed25519: "ED25519_SHA_512",
    "ecdsa-sha256": "ECDSA_SHA_256",
    "rsa-sha256": "RSASSA_PKCS1_V1_5_SHA_256",
  };
  // Another algorithm would make signatures of a different scheme than the key spec promises.
  if (allowed[material.alg] !== algorithm) {
    throw invalidKeyUsage(
      `The signing algorithm ${algorithm} is not supported for this key (mock-kms subset).`,
    );
  }
}
