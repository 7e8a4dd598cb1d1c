import { createHmac, type KeyObject, randomBytes, sign, timingSafeEqual } from "node:crypto";
import { verifyDigest } from "@signing-proxy/client-sdk";
import type { Alg } from "../../algorithms.js";
import { BackendUnavailableError, type SigningBackend } from "../backend.js";
import { ed25519Pool } from "./ed25519-pool.js";
import type { SoftKeyMaterial } from "./load-key.js";
import { assertDigest, signDigest } from "./sign-digest.js";

/** Below this many digests a batch signs in place: a worker round trip costs more than it saves. */
const POOL_MIN_DIGESTS = 32;

/**
 * A key held in process memory (dev/CI, or the strict-mode emergency key). The KeyObjects are
 * imported once by the factory and reused for every signature.
 */
export class SoftKeyBackend implements SigningBackend {
  readonly kind = "softkey" as const;
  readonly kid: string;
  readonly alg: Alg;
  #material: SoftKeyMaterial | null;

  constructor(kid: string, material: SoftKeyMaterial) {
    this.kid = kid;
    this.alg = material.alg;
    this.#material = material;
  }

  async publicKey(): Promise<KeyObject | null> {
    const material = this.#live();
    return material.alg === "hmac-sha256" ? null : material.publicKey;
  }

  async sign(digest: Buffer): Promise<Buffer> {
    assertDigest(digest);
    return signDigest(this.#live(), digest);
  }

  async signMany(digests: readonly Buffer[]): Promise<Buffer[]> {
    for (const digest of digests) assertDigest(digest);
    const material = this.#live();
    if (material.alg === "ed25519" && digests.length >= POOL_MIN_DIGESTS) {
      try {
        return await ed25519Pool.signAll(material.privateKey, digests);
      } catch {
        // A failed worker must not fail the batch: the same signatures can be made here.
      }
    }
    return digests.map((digest) => signDigest(material, digest));
  }

  /** Pure Ed25519 over an arbitrary message (MessageSigning; used only for log checkpoints). */
  async signMessage(message: Buffer): Promise<Buffer> {
    const material = this.#live();
    if (material.alg !== "ed25519") throw new TypeError("only Ed25519 keys sign messages");
    return sign(null, message, material.privateKey);
  }

  async verify(digest: Buffer, signature: Buffer): Promise<boolean> {
    assertDigest(digest);
    if (!Buffer.isBuffer(signature)) throw new TypeError("signature must be a Buffer");
    const material = this.#live();
    if (material.alg === "hmac-sha256") {
      const expected = createHmac("sha256", material.secret).update(digest).digest();
      // Constant-time: a byte-by-byte early exit would let a caller forge the MAC one byte at a time.
      return signature.length === expected.length && timingSafeEqual(signature, expected);
    }
    return verifyDigest({
      alg: material.alg,
      publicKey: material.publicKey,
      digestHex: digest.toString("hex"),
      signature,
    });
  }

  async healthCheck(): Promise<void> {
    // Sign and verify a fresh digest, so a damaged or mismatched key shows up in /readyz.
    const digest = randomBytes(32);
    let ok: boolean;
    try {
      ok = await this.verify(digest, await this.sign(digest));
    } catch (err) {
      throw new BackendUnavailableError(this.kid, "self-test failed", { cause: err });
    }
    if (!ok) throw new BackendUnavailableError(this.kid, "self-test signature did not verify");
  }

  async close(): Promise<void> {
    const material = this.#material;
    this.#material = null;
    // Wipe the copies this backend owns; the KeyObjects are released to the garbage collector.
    if (material?.alg === "hmac-sha256") material.secret.fill(0);
    if (material?.alg === "ecdsa-sha256") material.scalar.fill(0);
  }

  #live(): SoftKeyMaterial {
    if (this.#material === null) throw new BackendUnavailableError(this.kid, "the backend is closed");
    return this.#material;
  }
}
