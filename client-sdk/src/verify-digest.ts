import {
  constants,
  createPublicKey,
  type JsonWebKey,
  KeyObject,
  publicDecrypt,
  timingSafeEqual,
  verify,
} from "node:crypto";
import { p256 } from "@noble/curves/nist.js";

/** The signature algorithms of the signing proxy (DESIGN.md A4). */
export type SignatureAlg = "ed25519" | "ecdsa-sha256" | "rsa-sha256" | "hmac-sha256";

/** A public key: SPKI PEM text, a JWK, or a node KeyObject. */
export type PublicKeyInput = string | JsonWebKey | KeyObject;

/** Signature bytes, or their base64 (standard or base64url, padded or not) text. */
export type SignatureInput = string | Uint8Array;

/** What {@link verifyDigest} checks: `signature` by `publicKey` over the 32 bytes of `digestHex`. */
export interface VerifyDigestInput {
  readonly alg: SignatureAlg;
  readonly publicKey: PublicKeyInput;
  readonly digestHex: string;
  readonly signature: SignatureInput;
}

/** RSA below 2048 bits is refused (DESIGN.md A4). */
const MIN_RSA_BITS = 2048;
/** Imported PEM keys kept; importing a PEM costs ~0.4 ms, a verify far less. */
const PEM_CACHE_MAX = 256;
/** DER of DigestInfo { AlgorithmIdentifier { sha256, NULL }, OCTET STRING (32) } up to the digest (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO_PREFIX_HEX = "3031300d060960864801650304020105000420";

const DIGEST_HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

const pemCache = new Map<string, KeyObject>();
const derivedPublic = new WeakMap<KeyObject, KeyObject>();
const p256Points = new WeakMap<KeyObject, Uint8Array>();

/**
 * Check a signature over a 32-byte digest exactly as the proxy makes it (DESIGN.md A4), offline.
 * Returns false for a wrong signature or a malformed signature encoding; throws a TypeError only
 * for a caller's mistake: unknown alg, `hmac-sha256` (needs the secret), a digestHex that is not
 * 64 hex characters, or a key that is unreadable or does not fit the alg.
 */
export function verifyDigest(input: VerifyDigestInput): boolean {
  const { alg, publicKey, digestHex, signature } = input;
  // HMAC has no public key: only the backend that holds the secret can check it.
  if (alg === "hmac-sha256")
    throw new TypeError("hmac-sha256 signatures cannot be verified with a public key");
  if (alg !== "ed25519" && alg !== "ecdsa-sha256" && alg !== "rsa-sha256") {
    throw new TypeError(`unknown alg ${JSON.stringify(alg)}`);
  }
  if (typeof digestHex !== "string" || !DIGEST_HEX.test(digestHex)) {
    throw new TypeError("digestHex must be 64 hex characters (a SHA-256 digest)");
  }
  const digest = Buffer.from(digestHex, "hex");
  const key = usablePublicKey(publicKey, alg);
  const sig = decodeSignature(signature);
  if (sig === null) return false;
  switch (alg) {
    case "ed25519":
      return ed25519Verify(key, digest, sig);
    case "ecdsa-sha256":
      return p256VerifyPrehash(key, digest, sig);
    case "rsa-sha256":
      return rsaPkcs1Sha256VerifyPrehash(key, digest, sig);
  }
}

/**
 * Check a pure Ed25519 (RFC 8032) signature over a message of any length: the primitive
 * {@link verifyDigest} uses for `ed25519`, where the message is the 32 digest bytes.
 */
export function verifyEd25519Message(input: {
  readonly publicKey: PublicKeyInput;
  readonly message: Uint8Array;
  readonly signature: SignatureInput;
}): boolean {
  if (!(input.message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
  const key = usablePublicKey(input.publicKey, "ed25519");
  const sig = decodeSignature(input.signature);
  return sig !== null && ed25519Verify(key, input.message, sig);
}

/** DigestInfo(SHA-256, digest): the block RSASSA-PKCS1-v1_5 pads and signs (RFC 8017 §9.2). */
export function encodeDigestInfoSha256(digest: Uint8Array): Buffer {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new TypeError("a SHA-256 digest is exactly 32 bytes");
  }
  return Buffer.concat([Buffer.from(SHA256_DIGEST_INFO_PREFIX_HEX, "hex"), digest]);
}

function ed25519Verify(key: KeyObject, message: Uint8Array, sig: Buffer): boolean {
  // An Ed25519 signature is R || S, exactly 64 bytes (RFC 8032 §5.1.6).
  if (sig.length !== 64) return false;
  try {
    return verify(null, message, key, sig);
  } catch {
    return false;
  }
}

function p256VerifyPrehash(key: KeyObject, digest: Buffer, sig: Buffer): boolean {
  // node:crypto always hashes for ECDSA, so the prehash is checked with @noble/curves.
  try {
    // lowS false: standard ECDSA accepts both s and n - s; format der: noble rejects BER and non-minimal integers.
    return p256.verify(sig, digest, p256Point(key), { prehash: false, lowS: false, format: "der" });
  } catch {
    // noble throws (rather than returning false) for some malformed DER, e.g. a wrong total length.
    return false;
  }
}

function rsaPkcs1Sha256VerifyPrehash(key: KeyObject, digest: Buffer, sig: Buffer): boolean {
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // RFC 8017 §8.2.2 step 1: the signature is exactly k bytes, k the modulus length in bytes.
  if (sig.length !== Math.ceil(modulusBits / 8)) return false;
  let encoded: Buffer;
  try {
    // Applies s^e mod n and strips the type-1 padding (00 01 FF…FF 00), failing on anything else.
    encoded = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return false;
  }
  const expected = encodeDigestInfoSha256(digest);
  // Compare to the one exact DigestInfo encoding, so alternate (BER, missing NULL) encodings fail.
  return encoded.length === expected.length && timingSafeEqual(encoded, expected);
}

/** Base64 text or bytes → bytes; null when the text is not canonical base64 or base64url. */
function decodeSignature(signature: SignatureInput): Buffer | null {
  if (signature instanceof Uint8Array) {
    return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  }
  if (typeof signature !== "string") throw new TypeError("signature must be base64 text or bytes");
  let standard: string;
  if (BASE64.test(signature)) standard = signature;
  else if (BASE64URL.test(signature)) standard = signature.replaceAll("-", "+").replaceAll("_", "/");
  else return null;
  const bare = standard.replace(/=+$/, "");
  if (bare.length !== standard.length && standard.length % 4 !== 0) return null;
  const bytes = Buffer.from(bare, "base64");
  // Node's decoder skips junk and stray bits; accept only text that is the canonical form of its bytes.
  if (bytes.toString("base64").replace(/=+$/, "") !== bare) return null;
  return bytes;
}

/** Import the key (PEM imports are cached) and check that it fits the alg. */
function usablePublicKey(input: PublicKeyInput, alg: Exclude<SignatureAlg, "hmac-sha256">): KeyObject {
  const key = importPublicKey(input);
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case "ed25519":
      if (key.asymmetricKeyType !== "ed25519") throw keyMismatch(alg, key);
      break;
    case "ecdsa-sha256":
      // ecdsa-sha256 is P-256 only; another curve would be a different algorithm.
      if (key.asymmetricKeyType !== "ec" || details?.namedCurve !== "prime256v1") throw keyMismatch(alg, key);
      break;
    case "rsa-sha256":
      if (key.asymmetricKeyType !== "rsa") throw keyMismatch(alg, key);
      // Short moduli are factorable; A4 requires at least 2048 bits.
      if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
        throw new TypeError(`rsa-sha256 keys must have at least ${MIN_RSA_BITS} bits`);
      }
      break;
  }
  return key;
}

function keyMismatch(alg: SignatureAlg, key: KeyObject): TypeError {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const type = `${key.asymmetricKeyType ?? "unknown"}${curve ? ` (${curve})` : ""}`;
  return new TypeError(`a ${type} key cannot verify ${alg} signatures`);
}

function importPublicKey(input: PublicKeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type === "public") return input;
    if (input.type === "secret") throw new TypeError("publicKey must be an asymmetric key, not a secret key");
    let pub = derivedPublic.get(input);
    if (!pub) {
      pub = createPublicKey(input);
      derivedPublic.set(input, pub);
    }
    return pub;
  }
  if (typeof input === "string") return importPem(input);
  if (typeof input === "object" && input !== null && typeof input.kty === "string") {
    try {
      return createPublicKey({ key: input, format: "jwk" });
    } catch (err) {
      throw new TypeError("publicKey is not a usable public JWK", { cause: err });
    }
  }
  throw new TypeError("publicKey must be SPKI PEM text, a JWK or a KeyObject");
}

function importPem(pem: string): KeyObject {
  const cached = pemCache.get(pem);
  if (cached) {
    // Re-insert so the map's order is least-recently-used first.
    pemCache.delete(pem);
    pemCache.set(pem, cached);
    return cached;
  }
  // A verifier has no business holding private keys; refuse them rather than cache them.
  if (pem.includes("PRIVATE KEY-----"))
    throw new TypeError("publicKey must be a public key, not a private key");
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new TypeError("publicKey is not a readable PEM public key", { cause: err });
  }
  if (pemCache.size >= PEM_CACHE_MAX) {
    const oldest = pemCache.keys().next();
    if (!oldest.done) pemCache.delete(oldest.value);
  }
  pemCache.set(pem, key);
  return key;
}

/** The uncompressed SEC1 point 04 || x || y of a P-256 public key, as noble expects it. */
function p256Point(key: KeyObject): Uint8Array {
  let point = p256Points.get(key);
  if (!point) {
    const jwk = key.export({ format: "jwk" });
    const x = Buffer.from(jwk.x ?? "", "base64url");
    const y = Buffer.from(jwk.y ?? "", "base64url");
    if (x.length !== 32 || y.length !== 32) throw new TypeError("not a P-256 public key");
    point = Uint8Array.from(Buffer.concat([Buffer.of(4), x, y]));
    p256Points.set(key, point);
  }
  return point;
}
