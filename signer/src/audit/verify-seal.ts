import { verifyDigest } from "@signing-proxy/client-sdk";
import type { Alg, KeyStatus } from "../algorithms.js";

/** A key that may have sealed audit batches, as the verifier is told about it. */
export interface SealKey {
  readonly alg: Alg;
  /** SPKI PEM; null for HMAC keys. */
  readonly publicKeyPem: string | null;
  readonly status?: KeyStatus;
}

/** Checks an HMAC seal with the secret (the verifier holds no public key for it). */
export type VerifySymmetric = (kid: string, digest: Buffer, signature: Buffer) => Promise<boolean>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Canonical padded standard base64 → bytes; null for anything else. */
export function decodeSealSignature(text: string): Buffer | null {
  // One encoding per seal: a lenient decoder would let the stored text vary without detection.
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : null;
}

/**
 * Why the seal `signature` on an event whose hash is `hashHex` does not hold, or null when it does.
 * `kid` is the event's auditKid; only `keys` (given by the caller) are trusted, never the event's `alg`.
 */
export async function sealProblem(
  kid: string,
  hashHex: string,
  signature: string,
  keys: ReadonlyMap<string, SealKey>,
  verifySymmetric: VerifySymmetric | undefined,
): Promise<string | null> {
  const key = keys.get(kid);
  // A seal by a key nobody vouched for authenticates nothing.
  if (key === undefined) return `seal by unknown key ${JSON.stringify(kid)}`;
  // A revoked key may be in an attacker's hands; its seals no longer prove anything.
  if (key.status === "revoked") return `sealed by revoked key ${JSON.stringify(kid)}`;
  const sig = decodeSealSignature(signature);
  if (sig === null) return "seal signature is not canonical base64";
  const digest = Buffer.from(hashHex, "hex");
  if (key.alg === "hmac-sha256") {
    // HMAC has no public key: only a holder of the secret can check it.
    if (verifySymmetric === undefined) {
      return `seal by hmac-sha256 key ${JSON.stringify(kid)} is unverifiable without its secret`;
    }
    try {
      return (await verifySymmetric(kid, digest, sig))
        ? null
        : `seal does not verify with key ${JSON.stringify(kid)} (hmac-sha256)`;
    } catch (err) {
      return `seal by hmac-sha256 key ${JSON.stringify(kid)} is unverifiable: ${message(err)}`;
    }
  }
  if (key.publicKeyPem === null) return `key ${JSON.stringify(kid)} (${key.alg}) has no public key`;
  let valid: boolean;
  try {
    valid = verifyDigest({ alg: key.alg, publicKey: key.publicKeyPem, digestHex: hashHex, signature: sig });
  } catch (err) {
    // The trusted key itself is unusable (wrong type, short RSA, unreadable PEM): nothing verifies.
    return `key ${JSON.stringify(kid)} cannot verify ${key.alg} seals: ${message(err)}`;
  }
  return valid ? null : `seal does not verify with key ${JSON.stringify(kid)} (${key.alg})`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
