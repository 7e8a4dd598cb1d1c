import { createHash, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { verifyDigest, verifyEd25519Message } from "@signing-proxy/client-sdk";
import type { Alg } from "../../algorithms.js";
import { type BackendTelemetry, BackendUnavailableError, type SigningBackend } from "../backend.js";
import { assertDigest } from "../softkey/sign-digest.js";
import { ckrName, describeFailure, recoveryFor } from "./errors.js";
import { findKeyHandle, KeyNotFoundError, type ObjectSelector } from "./find-key.js";
import { signOnSession } from "./mechanisms.js";
import type { Lease } from "./session-pool.js";
import type { TokenContext } from "./token.js";

/** A fixed digest the backend signs to prove a re-found object is still the key it started with. */
export const PROBE_DIGEST = createHash("sha256").update("signing-proxy pkcs11 key identity probe").digest();

/** Tuning for {@link Pkcs11Backend}; the defaults suit a local HSM. */
export interface Pkcs11BackendTuning {
  /** How long a sign waits for a free session before failing with 503 (default 3000 ms). */
  readonly sessionWaitMs?: number;
  /** Tries per sign, recoveries included (default 3). */
  readonly maxAttempts?: number;
}

/** What the factory found out about the key at start-up. */
export interface Pkcs11KeyState {
  readonly kid: string;
  readonly alg: Alg;
  readonly selector: ObjectSelector;
  readonly publicKey: KeyObject | null;
  /** HMAC only: the MAC of PROBE_DIGEST, the reference for proving a re-found key is the same key. */
  readonly probeMac?: Buffer;
  readonly handle: Buffer;
}

const BACKOFF_MS = [0, 25, 100, 250];

/** Longest message {@link Pkcs11Backend.signMessage} takes; C2SP checkpoints are a few hundred bytes. */
export const PKCS11_MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * A key on a PKCS#11 token. Sessions come from the token's shared pool; the object handle is
 * cached and re-found (then re-proven with a probe signature) after the token invalidated it.
 * Signing runs on libuv's thread pool (C_SignAsync), so the event loop stays free.
 */
export class Pkcs11Backend implements SigningBackend {
  readonly kind = "pkcs11" as const;
  readonly kid: string;
  readonly alg: Alg;
  readonly #token: TokenContext;
  readonly #state: Pkcs11KeyState;
  readonly #waitMs: number;
  readonly #attempts: number;
  readonly #telemetry: BackendTelemetry | undefined;
  readonly #modulusBytes: number;
  #handle: { readonly handle: Buffer; readonly epoch: number } | null;
  #closed = false;
  readonly #inflight = new Set<Promise<Buffer>>();

  constructor(
    token: TokenContext,
    state: Pkcs11KeyState,
    tuning: Pkcs11BackendTuning,
    telemetry?: BackendTelemetry,
  ) {
    this.kid = state.kid;
    this.alg = state.alg;
    this.#token = token;
    this.#state = state;
    this.#waitMs = tuning.sessionWaitMs ?? 3000;
    this.#attempts = Math.max(1, tuning.maxAttempts ?? 3);
    this.#telemetry = telemetry;
    this.#modulusBytes = Math.ceil((state.publicKey?.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    this.#handle = { handle: state.handle, epoch: token.epoch };
  }

  async publicKey(): Promise<KeyObject | null> {
    return this.#state.publicKey;
  }

  async sign(digest: Buffer): Promise<Buffer> {
    assertDigest(digest);
    return this.#track(digest);
  }

  /**
   * Pure Ed25519 (CKM_EDDSA, no parameters) over an arbitrary message, for C2SP notes
   * (MessageSigning); same session pool and recovery path as {@link sign}.
   */
  async signMessage(message: Buffer): Promise<Buffer> {
    if (!Buffer.isBuffer(message)) throw new TypeError("message must be a Buffer");
    // Only pure EdDSA signs its input as the message; the other recipes expect a 32-byte digest.
    if (this.alg !== "ed25519" || !this.#state.publicKey)
      throw new TypeError("only Ed25519 keys sign messages");
    // A bound keeps one call from holding a token session (and C_Sign buffers) for long.
    if (message.length === 0 || message.length > PKCS11_MAX_MESSAGE_BYTES) {
      throw new RangeError(`message must be 1..${PKCS11_MAX_MESSAGE_BYTES} bytes (got ${message.length})`);
    }
    const signature = await this.#track(message);
    // Checked before release, as the digest path's probe does: a wrong key's note never leaves.
    if (!verifyEd25519Message({ publicKey: this.#state.publicKey, message, signature })) {
      throw new BackendUnavailableError(
        this.kid,
        "the token's signature does not verify with the public key",
      );
    }
    return signature;
  }

  /** Sign `input` (a digest, or an Ed25519 message) with retries, tracked so close() can wait. */
  #track(input: Buffer): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new BackendUnavailableError(this.kid, "the backend is closed"));
    const pending = this.#signWithRetries(input);
    this.#inflight.add(pending);
    const done = () => this.#inflight.delete(pending);
    pending.then(done, done);
    return pending;
  }

  async #signWithRetries(digest: Buffer): Promise<Buffer> {
    let last: unknown;
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      if (attempt > 0) {
        this.#telemetry?.retried("pkcs11", this.kid);
        await sleep(BACKOFF_MS[attempt] ?? 250);
      }
      try {
        return await this.#attempt(digest);
      } catch (err) {
        last = err;
        if (err instanceof BackendUnavailableError) throw err;
        if (recoveryFor(err) === "none") break;
      }
    }
    this.#telemetry?.failed("pkcs11", ckrName(last));
    throw new BackendUnavailableError(
      this.kid,
      `PKCS#11 signing failed on ${this.#token.name} (${describeFailure(last)})`,
      {
        cause: last,
      },
    );
  }

  async verify(digest: Buffer, signature: Buffer): Promise<boolean> {
    assertDigest(digest);
    if (!Buffer.isBuffer(signature)) throw new TypeError("signature must be a Buffer");
    const pub = this.#state.publicKey;
    if (pub)
      return verifyDigest({ alg: this.alg, publicKey: pub, digestHex: digest.toString("hex"), signature });
    // HMAC is deterministic: recompute on the token and compare in constant time.
    const expected = await this.sign(digest);
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }

  async healthCheck(): Promise<void> {
    // A fresh digest through the whole path (pool, login, handle, mechanism), checked locally.
    const digest = randomBytes(32);
    if (!(await this.verify(digest, await this.sign(digest)))) {
      throw new BackendUnavailableError(this.kid, "self-test signature did not verify");
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Finalizing the module under a running C_Sign would pull the library from under its thread.
    await Promise.allSettled(this.#inflight);
    this.#token.release();
  }

  /** One try: borrow a session, make sure of the handle, sign; on failure recover and rethrow. */
  async #attempt(digest: Buffer): Promise<Buffer> {
    let lease: Lease<Buffer>;
    try {
      lease = await this.#token.pool.acquire(this.#waitMs);
    } catch (err) {
      // Opening a session failed (token gone, library finalized): recover the token, then retry.
      if (recoveryFor(err) === "token") await this.#resetToken();
      throw err;
    }
    try {
      // The cached handle is the hot path: no extra promise unless the key must be found again.
      const cached = this.#handle;
      const handle =
        cached && cached.epoch === this.#token.epoch ? cached.handle : await this.#refind(lease.session);
      const signature = await this.#signOn(lease.session, handle, digest);
      this.#token.pool.release(lease);
      return signature;
    } catch (err) {
      await this.#recover(err, lease);
      throw err;
    }
  }

  #signOn(session: Buffer, handle: Buffer, digest: Buffer): Promise<Buffer> {
    return signOnSession(this.#token.api, session, handle, this.alg, this.#modulusBytes, digest);
  }

  /** Find the key again (its handle went stale) and prove it is the same key. */
  async #refind(session: Buffer): Promise<Buffer> {
    const epoch = this.#token.epoch;
    // Private objects are invisible to a logged-out session; "not found" must mean not there.
    this.#token.ensureLogin(session);
    let handle: Buffer;
    try {
      handle = findKeyHandle(this.#token.api, session, this.alg, this.#state.selector);
    } catch (err) {
      if (err instanceof KeyNotFoundError)
        throw new BackendUnavailableError(this.kid, err.message, { cause: err });
      throw err;
    }
    // A different key under the same label would sign with a key nobody has the public half of.
    if (!(await this.#isSameKey(session, handle))) {
      throw new BackendUnavailableError(
        this.kid,
        "the object found on the token is not the key this backend started with",
      );
    }
    this.#handle = { handle, epoch };
    return handle;
  }

  async #isSameKey(session: Buffer, handle: Buffer): Promise<boolean> {
    const sig = await this.#signOn(session, handle, PROBE_DIGEST);
    const { publicKey, probeMac } = this.#state;
    if (publicKey) {
      return verifyDigest({
        alg: this.alg,
        publicKey,
        digestHex: PROBE_DIGEST.toString("hex"),
        signature: sig,
      });
    }
    return probeMac !== undefined && sig.length === probeMac.length && timingSafeEqual(sig, probeMac);
  }

  async #recover(err: unknown, lease: Lease<Buffer>): Promise<void> {
    const pool = this.#token.pool;
    switch (recoveryFor(err)) {
      case "session": {
        // Sessions rarely die alone (C_CloseAllSessions, HSM restart): drop them all, and the
        // handles with them, unless another request already did since this one was lent out.
        const current = lease.generation === pool.generation;
        pool.discard(lease);
        if (current) this.#token.dropSessions();
        return;
      }
      case "login":
      case "handle":
        // Logging out invalidates private-object handles; log in again (once) and re-find.
        this.#handle = null;
        try {
          this.#token.ensureLogin(lease.session);
        } catch (loginErr) {
          pool.discard(lease);
          throw loginErr;
        }
        pool.release(lease);
        return;
      case "token":
        pool.discard(lease);
        await this.#resetToken();
        return;
      case "none":
        // The session may be left mid-operation; a fresh one is cheap.
        pool.discard(lease);
        return;
    }
  }

  async #resetToken(): Promise<void> {
    try {
      await this.#token.resetToken();
    } catch (err) {
      throw new BackendUnavailableError(this.kid, `the token is not available (${describeFailure(err)})`, {
        cause: err,
      });
    }
  }
}
