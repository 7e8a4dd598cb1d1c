import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import type { SignatureAlg } from "./verify-digest.js";

/** An asymmetric key a multisig proof may be checked with. */
export interface TrustedKey {
  readonly alg: Exclude<SignatureAlg, "hmac-sha256">;
  readonly key: KeyObject;
  /** Lowercase hex SHA-256 of the SPKI DER: two kids with one fingerprint are one signer. */
  readonly fingerprint: string;
  /** `status: "revoked"` in signers.json; a JWKS never lists revoked keys. */
  readonly revoked: boolean;
}

const JWS_ALGS: Readonly<Record<string, TrustedKey["alg"]>> = Object.freeze({
  EdDSA: "ed25519",
  ES256: "ecdsa-sha256",
  RS256: "rsa-sha256",
});
const ASYMMETRIC = new Set<string>(["ed25519", "ecdsa-sha256", "rsa-sha256"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Lowercase hex SHA-256 of a public key's SPKI DER encoding. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex");
}

function trusted(alg: TrustedKey["alg"], key: KeyObject, revoked: boolean): TrustedKey {
  return Object.freeze({ alg, key, fingerprint: publicKeyFingerprint(key), revoked });
}

/**
 * The keys of a signers.json (`{"signers":[…]}`, the /keys body) or a JWKS (`{"keys":[…]}`), by kid.
 * HMAC entries are skipped (they cannot sign a proof anyone else can check). Throws a TypeError for
 * a malformed document: these keys are the verifier's trust anchor, so guessing is not an option.
 */
export function trustedKeys(doc: unknown): Map<string, TrustedKey> {
  if (!isRecord(doc)) throw new TypeError("keys must be a signers.json or JWKS object");
  const out = new Map<string, TrustedKey>();
  const add = (kid: unknown, entry: TrustedKey | null, at: string): void => {
    if (typeof kid !== "string" || kid === "") throw new TypeError(`${at}: missing kid`);
    // Two entries for one kid would make "which key signed this" ambiguous.
    if (out.has(kid)) throw new TypeError(`${at}: kid ${JSON.stringify(kid)} appears twice`);
    if (entry !== null) out.set(kid, entry);
  };
  if (Array.isArray(doc.signers)) {
    for (const [i, e] of (doc.signers as unknown[]).entries()) {
      add(isRecord(e) ? e.signer_kid : undefined, fromSigner(e, i), `signers[${i}]`);
    }
  } else if (Array.isArray(doc.keys)) {
    for (const [i, e] of (doc.keys as unknown[]).entries()) {
      add(isRecord(e) ? e.kid : undefined, fromJwk(e, i), `keys[${i}]`);
    }
  } else {
    throw new TypeError('keys must have a "signers" (signers.json) or "keys" (JWKS) array');
  }
  return out;
}

function fromSigner(entry: unknown, i: number): TrustedKey | null {
  const at = `signers[${i}]`;
  if (!isRecord(entry)) throw new TypeError(`${at} is not an object`);
  const { algorithm, public_key_pem: pem, status } = entry;
  if (algorithm === "hmac-sha256") return null;
  if (typeof algorithm !== "string" || !ASYMMETRIC.has(algorithm)) {
    throw new TypeError(`${at}.algorithm must be ed25519, ecdsa-sha256, rsa-sha256 or hmac-sha256`);
  }
  if (typeof pem !== "string") throw new TypeError(`${at}.public_key_pem is required for ${algorithm}`);
  // A verifier has no business holding private keys.
  if (pem.includes("PRIVATE KEY-----")) throw new TypeError(`${at}.public_key_pem is a private key`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new TypeError(`${at}.public_key_pem is not a readable public key`, { cause: err });
  }
  return trusted(algorithm as TrustedKey["alg"], key, status === "revoked");
}

function fromJwk(entry: unknown, i: number): TrustedKey | null {
  const at = `keys[${i}]`;
  if (!isRecord(entry)) throw new TypeError(`${at} is not an object`);
  if (entry.kty === "oct") return null;
  // A JWK with a private part in a trust anchor is a leak, not a public key.
  if ("d" in entry) throw new TypeError(`${at} holds a private key`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: entry as JsonWebKey, format: "jwk" });
  } catch (err) {
    throw new TypeError(`${at} is not a usable public JWK`, { cause: err });
  }
  const alg = typeof entry.alg === "string" ? JWS_ALGS[entry.alg] : inferAlg(key);
  if (alg === undefined) throw new TypeError(`${at}.alg must be EdDSA, ES256 or RS256`);
  return trusted(alg, key, false);
}

function inferAlg(key: KeyObject): TrustedKey["alg"] | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
    return "ecdsa-sha256";
  }
  if (key.asymmetricKeyType === "rsa") return "rsa-sha256";
  return undefined;
}
