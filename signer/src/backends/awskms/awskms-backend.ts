import type { KeyObject } from "node:crypto";
import {
  DescribeKeyCommand,
  GenerateMacCommand,
  type KMSClient,
  SignCommand,
  VerifyMacCommand,
} from "@aws-sdk/client-kms";
import { verifyDigest, verifyEd25519Message } from "@signing-proxy/client-sdk";
import type { Alg } from "../../algorithms.js";
import { type BackendTelemetry, BackendUnavailableError, type SigningBackend } from "../backend.js";
import { assertDigest } from "../softkey/sign-digest.js";
import { type CircuitBreaker, CircuitOpenError } from "./circuit-breaker.js";
import { classifyKmsError } from "./classify-error.js";
import { KMS_ALGS, keyMetadataProblem } from "./key-spec.js";

/** A KMS key checked at start-up: pinned to its key ARN, with its public key (null for HMAC). */
export interface PinnedKmsKey {
  readonly kid: string;
  readonly alg: Alg;
  /** The key ARN DescribeKey resolved the configured key-id (maybe an alias) to. */
  readonly keyArn: string;
  readonly publicKey: KeyObject | null;
}

/** What the backend calls out with. */
export interface AwsKmsBackendDeps {
  readonly client: KMSClient;
  readonly breaker: CircuitBreaker;
  /** Hard ceiling on one call, all retries included. */
  readonly deadlineMs: number;
  readonly telemetry?: BackendTelemetry | undefined;
}

const HMAC_BYTES = 32;
/** KMS Sign takes RAW messages of at most 4096 bytes; longer ones must be refused, not truncated. */
export const KMS_MAX_MESSAGE_BYTES = 4096;

/**
 * A key held in AWS KMS. Signs per DESIGN.md A4 through the SDK (Sign with DIGEST for RSA and
 * ECDSA, RAW for Ed25519, GenerateMac for HMAC), verifies asymmetric signatures locally with the
 * public key fetched once at start-up, and goes through a circuit breaker so that an outage turns
 * into fast BackendUnavailableErrors (503) rather than a queue of requests waiting on timeouts.
 */
export class AwsKmsBackend implements SigningBackend {
  readonly kind = "awskms" as const;
  readonly kid: string;
  readonly alg: Alg;
  readonly #key: PinnedKmsKey;
  readonly #deps: AwsKmsBackendDeps;
  #closed = false;

  constructor(key: PinnedKmsKey, deps: AwsKmsBackendDeps) {
    this.kid = key.kid;
    this.alg = key.alg;
    this.#key = key;
    this.#deps = deps;
  }

  async publicKey(): Promise<KeyObject | null> {
    this.#live();
    return this.#key.publicKey;
  }

  async sign(digest: Buffer): Promise<Buffer> {
    assertDigest(digest);
    this.#live();
    const spec = KMS_ALGS[this.alg];
    const keyArn = this.#key.keyArn;
    if (spec.op === "mac") {
      const out = await this.#call("GenerateMac", (abortSignal) =>
        this.#deps.client.send(
          new GenerateMacCommand({ KeyId: keyArn, Message: digest, MacAlgorithm: spec.macAlgorithm }),
          { abortSignal },
        ),
      );
      const mac = out.Mac;
      // An answer for another key or algorithm must never be released as this key's MAC.
      if (out.KeyId !== keyArn || out.MacAlgorithm !== spec.macAlgorithm || mac?.length !== HMAC_BYTES) {
        throw this.#bad("KMS GenerateMac answered for another key, algorithm or length");
      }
      return Buffer.from(mac);
    }
    const signature = await this.#kmsSign(digest);
    // Checked against the pinned public key before release: a re-pointed key or a corrupted answer never leaves.
    if (!(await this.verify(digest, signature))) {
      throw this.#bad("the KMS signature does not verify with the registered public key");
    }
    return signature;
  }

  /**
   * Pure Ed25519 over an arbitrary message (Sign with ED25519_SHA_512, MessageType RAW), for C2SP
   * notes (MessageSigning); same deadline and circuit breaker as {@link sign}.
   */
  async signMessage(message: Buffer): Promise<Buffer> {
    if (!Buffer.isBuffer(message)) throw new TypeError("message must be a Buffer");
    this.#live();
    const publicKey = this.#key.publicKey;
    // Only Ed25519 signs RAW input as the message; the other KMS algs here hash or take a digest.
    if (this.alg !== "ed25519" || publicKey === null) throw new TypeError("only Ed25519 keys sign messages");
    // KMS rejects longer RAW messages; refusing here gives a clear error and spares the breaker.
    if (message.length === 0 || message.length > KMS_MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `message must be 1..${KMS_MAX_MESSAGE_BYTES} bytes for KMS Ed25519 signing (got ${message.length})`,
      );
    }
    const signature = await this.#kmsSign(message);
    // Checked before release: a re-pointed key or a corrupted answer never signs a note.
    if (!verifyEd25519Message({ publicKey, message, signature })) {
      throw this.#bad("the KMS signature does not verify with the registered public key");
    }
    return signature;
  }

  /** KMS Sign of `message` with the alg's spec; the answer must name this key and algorithm. */
  async #kmsSign(message: Buffer): Promise<Buffer> {
    const spec = KMS_ALGS[this.alg];
    if (spec.op !== "sign") throw this.#bad("not a signing key");
    const keyArn = this.#key.keyArn;
    const out = await this.#call("Sign", (abortSignal) =>
      this.#deps.client.send(
        new SignCommand({
          KeyId: keyArn,
          Message: message,
          MessageType: spec.messageType,
          SigningAlgorithm: spec.signingAlgorithm,
        }),
        { abortSignal },
      ),
    );
    // An answer for another key or algorithm must never be released as this key's signature.
    if (out.KeyId !== keyArn || out.SigningAlgorithm !== spec.signingAlgorithm || !out.Signature) {
      throw this.#bad("KMS Sign answered for another key or algorithm");
    }
    return Buffer.from(out.Signature);
  }

  async verify(digest: Buffer, signature: Buffer): Promise<boolean> {
    assertDigest(digest);
    if (!Buffer.isBuffer(signature)) throw new TypeError("signature must be a Buffer");
    this.#live();
    const spec = KMS_ALGS[this.alg];
    const publicKey = this.#key.publicKey;
    if (spec.op === "sign" && publicKey !== null) {
      return verifyDigest({ alg: this.alg, publicKey, digestHex: digest.toString("hex"), signature });
    }
    if (spec.op !== "mac") throw this.#bad("no public key to verify with");
    // The secret never leaves KMS, so MACs are checked there (its comparison is constant-time).
    if (signature.length !== HMAC_BYTES) return false;
    const keyArn = this.#key.keyArn;
    return this.#call("VerifyMac", async (abortSignal) => {
      try {
        const out = await this.#deps.client.send(
          new VerifyMacCommand({
            KeyId: keyArn,
            Message: digest,
            Mac: signature,
            MacAlgorithm: spec.macAlgorithm,
          }),
          { abortSignal },
        );
        return out.MacValid === true && out.KeyId === keyArn;
      } catch (err) {
        // KMS reports a wrong MAC as an error; for us it is simply "not valid".
        if ((err as { name?: unknown }).name === "KMSInvalidMacException") return false;
        throw err;
      }
    });
  }

  async healthCheck(): Promise<void> {
    this.#live();
    const keyArn = this.#key.keyArn;
    const out = await this.#call("DescribeKey", (abortSignal) =>
      this.#deps.client.send(new DescribeKeyCommand({ KeyId: keyArn }), { abortSignal }),
    );
    // A key disabled or changed since start-up must show up in /readyz.
    const problem = keyMetadataProblem(this.alg, out.KeyMetadata);
    if (problem !== undefined) throw new BackendUnavailableError(this.kid, problem);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.client.destroy();
  }

  /** One KMS call under the deadline and the circuit breaker; failures become BackendUnavailableErrors. */
  async #call<T>(op: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const { breaker, deadlineMs, telemetry } = this.#deps;
    try {
      return await breaker.run(
        () => send(AbortSignal.timeout(deadlineMs)),
        (err) => classifyKmsError(err).transient,
      );
    } catch (err) {
      if (err instanceof CircuitOpenError) {
        telemetry?.failed(this.kind, "circuit-open");
        throw new BackendUnavailableError(
          this.kid,
          `KMS is failing; circuit open, failing fast for another ${Math.ceil(err.retryAfterMs / 1000)} s`,
        );
      }
      const c = classifyKmsError(err);
      telemetry?.failed(this.kind, c.kind);
      // Only the classified summary travels on: SDK messages and responses stay out of logs.
      throw new BackendUnavailableError(this.kid, `KMS ${op} failed (${c.kind})`, {
        cause: new Error(c.summary),
      });
    }
  }

  #bad(message: string): BackendUnavailableError {
    this.#deps.telemetry?.failed(this.kind, "bad-response");
    return new BackendUnavailableError(this.kid, message);
  }

  #live(): void {
    if (this.#closed) throw new BackendUnavailableError(this.kid, "the backend is closed");
  }
}
