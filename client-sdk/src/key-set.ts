// Published keys (the /keys signers.json or a JWKS) read into one map of trusted keys by kid.
import type { JsonWebKey } from "node:crypto";
import type { KeyStatus } from "./client-types.js";
import { parseStrictJson } from "./json-scanner.js";
import type { SignatureAlg } from "./verify-digest.js";

/** One published key, ready for verifyDigest. */
export interface PublishedKey {
  readonly kid: string;
  readonly alg: SignatureAlg;
  /** From signers.json; `unknown` for a JWKS entry (a JWKS lists only non-revoked keys). */
  readonly status: KeyStatus | "unknown";
  /** SPKI PEM (signers.json) or a JWK (JWKS); null for an HMAC key, which has no public half. */
  readonly publicKey: string | JsonWebKey | null;
}

const ALGS: readonly SignatureAlg[] = ["ed25519", "ecdsa-sha256", "rsa-sha256", "hmac-sha256"];
const STATUSES: readonly KeyStatus[] = ["active", "candidate", "retired", "revoked"];
/** JWS alg names of the proxy's JWKS (DESIGN.md A4 → RFC 7518 / RFC 8037). */
const JWS_ALGS: Readonly<Record<string, SignatureAlg>> = Object.freeze({
  EdDSA: "ed25519",
  ES256: "ecdsa-sha256",
  RS256: "rsa-sha256",
});
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * Every entry of a /keys body (`{"signers":[…]}`, as an object or JSON text), all statuses included.
 * Throws a TypeError naming the entry at fault, including a kid listed twice (which key would count?).
 */
export function parseSignersDocument(doc: unknown): Map<string, PublishedKey> {
  const value = typeof doc === "string" ? parseStrictJson(doc, { maxBytes: MAX_DOCUMENT_BYTES }) : doc;
  const signers = isRecord(value) ? value.signers : undefined;
  if (!Array.isArray(signers)) throw new TypeError('expected a /keys document {"signers": [...]}');
  const keys = new Map<string, PublishedKey>();
  signers.forEach((entry: unknown, i) => {
    const at = `signers[${i}]`;
    if (!isRecord(entry)) throw new TypeError(`${at} is not an object`);
    const { signer_kid: kid, algorithm: alg, public_key_pem: pem, status } = entry;
    if (typeof kid !== "string" || kid === "")
      throw new TypeError(`${at}.signer_kid must be a non-empty string`);
    if (!ALGS.includes(alg as SignatureAlg))
      throw new TypeError(`${at}.algorithm must be one of ${ALGS.join(", ")}`);
    if (!STATUSES.includes(status as KeyStatus)) {
      throw new TypeError(`${at}.status must be one of ${STATUSES.join(", ")}`);
    }
    // An asymmetric key without its public half could never verify anything; say so now.
    if (alg !== "hmac-sha256" && typeof pem !== "string") {
      throw new TypeError(`${at}.public_key_pem is required for ${String(alg)}`);
    }
    add(keys, at, {
      kid,
      alg: alg as SignatureAlg,
      status: status as KeyStatus,
      publicKey: alg === "hmac-sha256" ? null : (pem as string),
    });
  });
  return keys;
}

/** Every key of a JWKS (`{"keys":[…]}`, object or JSON text); each needs `kid` and a known `alg`. */
export function parseJwks(doc: unknown): Map<string, PublishedKey> {
  const value = typeof doc === "string" ? parseStrictJson(doc, { maxBytes: MAX_DOCUMENT_BYTES }) : doc;
  const list = isRecord(value) ? value.keys : undefined;
  if (!Array.isArray(list)) throw new TypeError('expected a JWKS {"keys": [...]}');
  const keys = new Map<string, PublishedKey>();
  list.forEach((jwk: unknown, i) => {
    const at = `keys[${i}]`;
    if (!isRecord(jwk) || typeof jwk.kty !== "string") throw new TypeError(`${at} is not a JWK`);
    if (typeof jwk.kid !== "string" || jwk.kid === "")
      throw new TypeError(`${at}.kid must be a non-empty string`);
    const alg = typeof jwk.alg === "string" ? JWS_ALGS[jwk.alg] : undefined;
    // Without alg a key could be used with an algorithm it was never meant for.
    if (alg === undefined)
      throw new TypeError(`${at}.alg must be one of ${Object.keys(JWS_ALGS).join(", ")}`);
    add(keys, at, { kid: jwk.kid, alg, status: "unknown", publicKey: jwk as JsonWebKey });
  });
  return keys;
}

/** A /keys document or a JWKS, told apart by its top-level field. */
export function parseKeyDocument(doc: unknown): Map<string, PublishedKey> {
  const value = typeof doc === "string" ? parseStrictJson(doc, { maxBytes: MAX_DOCUMENT_BYTES }) : doc;
  if (isRecord(value) && Array.isArray(value.signers)) return parseSignersDocument(value);
  if (isRecord(value) && Array.isArray(value.keys)) return parseJwks(value);
  throw new TypeError('expected a /keys document {"signers": [...]} or a JWKS {"keys": [...]}');
}

/** The keys that can verify offline: asymmetric and not revoked. */
export function verifiableKeys(keys: ReadonlyMap<string, PublishedKey>): Map<string, PublishedKey> {
  // A revoked key's signatures are no longer trusted, whatever their bytes (DESIGN.md A5).
  return new Map([...keys].filter(([, k]) => k.status !== "revoked" && k.publicKey !== null));
}

function add(keys: Map<string, PublishedKey>, at: string, key: PublishedKey): void {
  if (keys.has(key.kid)) throw new TypeError(`${at}: kid ${JSON.stringify(key.kid)} appears twice`);
  keys.set(key.kid, Object.freeze(key));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
