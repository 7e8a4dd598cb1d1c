import { p256 } from "@noble/curves/nist.js";
import { encodeDigestInfoSha256 } from "@signing-proxy/client-sdk";
import pkcs11js from "pkcs11js";
import type { Alg } from "../../algorithms.js";
import { CK3 } from "./constants.js";
import type { Pkcs11Api } from "./module.js";

/** How one alg is signed on the token (DESIGN.md A4), described once. */
export interface SignRecipe {
  readonly mechanism: pkcs11js.Mechanism;
  /** What C_Sign receives for a 32-byte digest. */
  input(digest: Buffer): Buffer;
  /** The output buffer C_Sign fills (the signature is at most this long). */
  outputLength(modulusBytes: number): number;
  /** The A4 signature bytes from what C_Sign returned. */
  output(raw: Buffer): Buffer;
}

/** The order n of the P-256 group (FIPS 186-4 D.1.2.3). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const same = (bytes: Buffer): Buffer => bytes;

/** Per-alg mechanism, input and output (PKCS#11 3.0 §2.3.6, §2.3.14, §2.1.6, §2.20.4). */
export const RECIPES: Readonly<Record<Alg, SignRecipe>> = Object.freeze({
  // Pure EdDSA (no parameters: Ed25519, not Ed25519ph) with the 32 digest bytes as the message.
  ed25519: { mechanism: { mechanism: CK3.CKM_EDDSA }, input: same, outputLength: () => 64, output: same },
  // Raw ECDSA signs its input as the hash value, so the digest goes in as it is.
  "ecdsa-sha256": {
    mechanism: { mechanism: pkcs11js.CKM_ECDSA },
    input: same,
    outputLength: () => 64,
    output: ecdsaRawToDer,
  },
  // CKM_RSA_PKCS pads its input (type 1) without hashing; CKM_SHA256_RSA_PKCS would hash the digest again.
  "rsa-sha256": {
    mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS },
    input: encodeDigestInfoSha256,
    outputLength: (modulusBytes) => modulusBytes,
    output: same,
  },
  "hmac-sha256": {
    mechanism: { mechanism: pkcs11js.CKM_SHA256_HMAC },
    input: same,
    outputLength: () => 32,
    output: same,
  },
});

/**
 * PKCS#11 ECDSA output (r || s, 32 bytes each) → DER, with s normalized to the low half so the
 * encoding matches the softkey backend's (both halves verify; low-S verifiers accept only one).
 */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length !== 64) throw new Error(`CKM_ECDSA returned ${raw.length} bytes; expected 64 for P-256`);
  const sig = p256.Signature.fromBytes(raw, "compact");
  const s = sig.hasHighS() ? P256_N - sig.s : sig.s;
  return Buffer.from(new p256.Signature(sig.r, s).toBytes("der"));
}

/**
 * Sign a 32-byte digest with the key `handle` on `session` exactly as DESIGN.md A4 describes
 * (for ed25519 `digest` may be any message: CKM_EDDSA signs its input as given; callers bound it).
 * C_SignInit is quick and synchronous; C_SignAsync runs the signature on libuv's thread pool.
 */
export function signOnSession(
  api: Pkcs11Api,
  session: Buffer,
  handle: Buffer,
  alg: Alg,
  modulusBytes: number,
  digest: Buffer,
): Promise<Buffer> {
  const recipe = RECIPES[alg];
  try {
    api.C_SignInit(session, recipe.mechanism, handle);
  } catch (err) {
    return Promise.reject(err);
  }
  const out = Buffer.alloc(recipe.outputLength(modulusBytes));
  return api.C_SignAsync(session, recipe.input(digest), out).then(recipe.output);
}
