// Offline verification without node:crypto or Buffer (browsers, workers, edge runtimes): Ed25519 and
// ECDSA P-256 with @noble/curves. Node callers should use verifyDigest, which is faster for Ed25519
// (bench/sdk-verify.ts: node:crypto verifies 7-18x as many per second as noble) and also covers RSA.
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";

/** A public key the portable verifier reads: SPKI PEM text, or an OKP/Ed25519 or EC/P-256 JWK. */
export type PortablePublicKey =
  | string
  | { readonly kty: string; readonly crv?: string; readonly x?: string; readonly y?: string };

/** What {@link verifyDigestPortable} checks; the same fields as verifyDigest, for the two algs it covers. */
export interface PortableVerifyInput {
  readonly alg: "ed25519" | "ecdsa-sha256";
  readonly publicKey: PortablePublicKey;
  readonly digestHex: string;
  /** Signature bytes, or their base64 / base64url text. */
  readonly signature: string | Uint8Array;
}

// SPKI DER up to the key bytes: the only encodings of these two key types (RFC 8410 §4, RFC 5480 §2).
const ED25519_SPKI_PREFIX = hexBytes("302a300506032b6570032100");
const P256_SPKI_PREFIX = hexBytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
const DIGEST_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * verifyDigest for runtimes without node:crypto: same semantics (RFC 8032 strict Ed25519 over the 32
 * digest bytes; P-256 DER with the digest as prehash, high-S accepted), same TypeErrors for caller
 * mistakes, false for a bad or malformed signature. RSA needs node:crypto (verifyDigest).
 */
export function verifyDigestPortable(input: PortableVerifyInput): boolean {
  const { alg, publicKey, digestHex, signature } = input;
  if (alg !== "ed25519" && alg !== "ecdsa-sha256") {
    throw new TypeError(`verifyDigestPortable supports ed25519 and ecdsa-sha256, not ${JSON.stringify(alg)}`);
  }
  if (typeof digestHex !== "string" || !DIGEST_HEX.test(digestHex)) {
    throw new TypeError("digestHex must be 64 hex characters (a SHA-256 digest)");
  }
  const digest = hexBytes(digestHex);
  if (alg === "ed25519") return verifyEd25519Portable(publicKey, digest, signature);
  const point = rawKey(publicKey, "ecdsa-sha256");
  const sig = decodeBase64Signature(signature);
  if (sig === null) return false;
  try {
    // Same rules as verifyDigest: DER only (noble rejects BER), both s and n - s valid.
    return p256.verify(sig, digest, point, { prehash: false, lowS: false, format: "der" });
  } catch {
    return false;
  }
}

/** Pure Ed25519 (RFC 8032, non-canonical encodings refused) over a message of any length, with noble. */
export function verifyEd25519Portable(
  publicKey: PortablePublicKey,
  message: Uint8Array,
  signature: string | Uint8Array,
): boolean {
  if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
  const key = rawKey(publicKey, "ed25519");
  const sig = decodeBase64Signature(signature);
  // An Ed25519 signature is R || S, exactly 64 bytes (RFC 8032 §5.1.6).
  if (sig === null || sig.length !== 64) return false;
  try {
    // zip215:false: the RFC 8032 rules OpenSSL (and so node:crypto) applies, not the laxer ZIP-215 ones.
    return ed25519.verify(sig, message, key, { zip215: false });
  } catch {
    return false;
  }
}

const rawKeys = new Map<string, Uint8Array>();

/** The raw key bytes noble expects: 32 bytes for Ed25519, the uncompressed point 04||x||y for P-256. */
function rawKey(input: PortablePublicKey, alg: PortableVerifyInput["alg"]): Uint8Array {
  if (typeof input === "string") {
    const cacheKey = `${alg}\n${input}`;
    const cached = rawKeys.get(cacheKey);
    if (cached) return cached;
    const der = pemBody(input);
    const prefix = alg === "ed25519" ? ED25519_SPKI_PREFIX : P256_SPKI_PREFIX;
    const size = alg === "ed25519" ? 32 : 65;
    // A different prefix is a different key type or curve: a caller mistake, as in verifyDigest.
    if (der.length !== prefix.length + size || !startsWith(der, prefix)) {
      throw new TypeError(`publicKey is not an SPKI ${alg === "ed25519" ? "Ed25519" : "P-256"} public key`);
    }
    const raw = der.slice(prefix.length);
    if (rawKeys.size >= 256) rawKeys.clear();
    rawKeys.set(cacheKey, raw);
    return raw;
  }
  if (typeof input === "object" && input !== null) {
    if (alg === "ed25519" && input.kty === "OKP" && input.crv === "Ed25519" && typeof input.x === "string") {
      const x = base64UrlBytes(input.x);
      if (x?.length === 32) return x;
    }
    if (alg === "ecdsa-sha256" && input.kty === "EC" && input.crv === "P-256") {
      const x = typeof input.x === "string" ? base64UrlBytes(input.x) : null;
      const y = typeof input.y === "string" ? base64UrlBytes(input.y) : null;
      if (x?.length === 32 && y?.length === 32) return Uint8Array.of(4, ...x, ...y);
    }
    throw new TypeError(`publicKey is not a usable ${alg} JWK`);
  }
  throw new TypeError("publicKey must be SPKI PEM text or a JWK");
}

function pemBody(pem: string): Uint8Array {
  const match = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----\s*$/.exec(
    pem.trim(),
  );
  const bytes = match?.[1] ? decodeBase64(match[1].replace(/\s+/g, "")) : null;
  if (bytes === null) throw new TypeError("publicKey is not a readable PEM public key");
  return bytes;
}

/** Signature text → bytes; null when the text is not canonical base64 or base64url. */
function decodeBase64Signature(signature: string | Uint8Array): Uint8Array | null {
  if (signature instanceof Uint8Array) return signature;
  if (typeof signature !== "string") throw new TypeError("signature must be base64 text or bytes");
  return decodeBase64(signature.replaceAll("-", "+").replaceAll("_", "/"));
}

function base64UrlBytes(text: string): Uint8Array | null {
  return /[+/=]/.test(text) ? null : decodeBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
}

/** Canonical base64 (padding optional) → bytes, else null: re-encoding must give the same text. */
function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bare = text.replace(/=+$/, "");
  if (bare.length % 4 === 1 || (bare.length !== text.length && text.length % 4 !== 0)) return null;
  let binary: string;
  try {
    binary = atob(bare.padEnd(Math.ceil(bare.length / 4) * 4, "="));
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // atob ignores stray bits in the last character; accept only the canonical form of the bytes.
  if (btoa(binary).replace(/=+$/, "") !== bare) return null;
  return bytes;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}
