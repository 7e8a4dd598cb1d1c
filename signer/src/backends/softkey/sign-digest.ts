import { constants, createHmac, privateEncrypt, sign } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { encodeDigestInfoSha256 } from "@signing-proxy/client-sdk";
import type { SoftKeyMaterial } from "./load-key.js";

/** Throw a TypeError unless `digest` is a 32-byte Buffer: every backend signs exactly a SHA-256 digest. */
export function assertDigest(digest: unknown): asserts digest is Buffer {
  // Anything else is a caller bug that would sign bytes nobody can match to a payload.
  if (!Buffer.isBuffer(digest) || digest.length !== 32) {
    throw new TypeError("digest must be a 32-byte Buffer (a SHA-256 digest)");
  }
}

/** Sign a 32-byte digest with an in-memory key exactly as DESIGN.md A4 describes. */
export function signDigest(material: SoftKeyMaterial, digest: Buffer): Buffer {
  assertDigest(digest);
  switch (material.alg) {
    case "ed25519":
      // Pure Ed25519 (RFC 8032) with the 32 digest bytes as the message.
      return sign(null, digest, material.privateKey);
    case "ecdsa-sha256":
      // node:crypto always hashes for ECDSA; noble signs the digest as the prehash. Hedged k
      // (RFC 6979 plus fresh randomness) resists fault attacks; the output is low-S DER.
      return Buffer.from(
        p256.sign(digest, material.scalar, { prehash: false, format: "der", lowS: true, extraEntropy: true }),
      );
    case "rsa-sha256":
      // EMSA-PKCS1-v1_5 with a precomputed hash: type-1 padding over DigestInfo(SHA-256, digest).
      return privateEncrypt(
        { key: material.privateKey, padding: constants.RSA_PKCS1_PADDING },
        encodeDigestInfoSha256(digest),
      );
    case "hmac-sha256":
      return createHmac("sha256", material.secret).update(digest).digest();
  }
}
