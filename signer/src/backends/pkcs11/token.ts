import { timingSafeEqual } from "node:crypto";
import pkcs11js from "pkcs11js";
import type { Secret } from "../../config/secret.js";
import { CK_UNAVAILABLE_32, CK3 } from "./constants.js";
import { ckrCode, ckrName, isAlreadyLoggedIn, isPinRefusal } from "./errors.js";
import { acquireModule, type ModuleLoader, type ModuleRef, type Pkcs11Api } from "./module.js";
import { SessionPool } from "./session-pool.js";
import { describeSelector, findSlot, type TokenSelector } from "./slot.js";

/**
 * Sessions per token when the URI gives no `pool-size`, capped by the token's own session limit.
 * With 8 sessions the libuv workers always find the next signature queued (bench/pkcs11-rate.ts:
 * 7.8k vs 6.7k Ed25519 sig/s on SoftHSM2 with 4), and a latency-bound network HSM gains more.
 */
export const DEFAULT_POOL_SIZE = 8;

/** How to reach one token. */
export interface TokenOptions {
  readonly modulePath: string;
  readonly selector: TokenSelector;
  readonly pin: Secret | undefined;
  readonly poolSize: number | undefined;
  readonly loader?: ModuleLoader;
}

const USER_STATES = new Set<number>([CK3.CKS_RO_USER_FUNCTIONS, CK3.CKS_RW_USER_FUNCTIONS]);
/** Shared contexts by loader (tests inject their own), then by module path and token selector. */
const contexts = new Map<ModuleLoader | undefined, Map<string, TokenContext>>();

/**
 * One token as the process uses it, shared by every key on it: the module, the slot, one session
 * pool, and the CKU_USER login (per application on a token, so one login serves all sessions).
 */
export class TokenContext {
  readonly api: Pkcs11Api;
  readonly pool: SessionPool<Buffer>;
  /** Bumped whenever object handles may have become invalid; keys re-find theirs when it moves. */
  get epoch(): number {
    return this.#epoch;
  }
  readonly #module: ModuleRef;
  readonly #key: string;
  readonly #loader: ModuleLoader | undefined;
  readonly #selector: TokenSelector;
  readonly #pin: Secret | undefined;
  #slot: Buffer;
  #pinRefused: string | undefined;
  #refs = 0;
  #epoch = 0;
  #resetting: Promise<void> | undefined;

  private constructor(key: string, module: ModuleRef, opts: TokenOptions) {
    this.#key = key;
    this.#loader = opts.loader;
    this.#module = module;
    this.api = module.api;
    this.#selector = opts.selector;
    this.#pin = opts.pin;
    this.#slot = findSlot(this.api, opts.selector);
    const size = opts.poolSize ?? defaultPoolSize(this.api.C_GetTokenInfo(this.#slot).maxSessionCount);
    this.pool = new SessionPool<Buffer>({
      size,
      open: () => this.#openSession(),
      close: (session) => this.api.C_CloseSession(session),
    });
  }

  /**
   * The shared context for a token, created on first use. Throws an Error (the caller wraps it in
   * a BackendConfigError) when the module, the token or the PIN is unusable.
   */
  static acquire(opts: TokenOptions): TokenContext {
    const key = [opts.modulePath, describeSelector(opts.selector)].join("\0");
    const byKey = contexts.get(opts.loader) ?? new Map<string, TokenContext>();
    contexts.set(opts.loader, byKey);
    let ctx = byKey.get(key);
    if (ctx) {
      // The token's login is shared: a key with another PIN would sign on the first key's login.
      if (!samePin(ctx.#pin, opts.pin))
        throw new Error("another key on this token is configured with a different PIN");
      if (opts.poolSize !== undefined) ctx.pool.grow(opts.poolSize);
    } else {
      const module = acquireModule(opts.modulePath, opts.loader);
      try {
        ctx = new TokenContext(key, module, opts);
      } catch (err) {
        module.release();
        throw err;
      }
      byKey.set(key, ctx);
    }
    ctx.#refs++;
    return ctx;
  }

  /** A readable name for messages: the selector, never the PIN. */
  get name(): string {
    return describeSelector(this.#selector);
  }

  /** The mechanisms the token supports (CKM_ values). */
  mechanisms(): number[] {
    return this.api.C_GetMechanismList(this.#slot);
  }

  /** Log in on `session` unless the application is already logged in to the token. */
  ensureLogin(session: Buffer): void {
    if (USER_STATES.has(this.api.C_GetSessionInfo(session).state)) return;
    // A PIN the token refused once is refused again; retrying would only count toward a lockout.
    if (this.#pinRefused) {
      throw new Error(`the token refused the PIN (${this.#pinRefused}); not retrying until restart`);
    }
    if (!this.#pin) throw new Error("the token needs a login but the key URI gives no PIN");
    try {
      this.api.C_Login(session, pkcs11js.CKU_USER, this.#pin.revealText());
    } catch (err) {
      if (isAlreadyLoggedIn(err)) return;
      if (isPinRefusal(err)) this.#pinRefused = ckrName(err);
      throw err;
    }
  }

  /** Sessions were closed behind our back: drop them all, and the object handles with them. */
  dropSessions(): void {
    this.pool.reset();
    this.#epoch++;
  }

  /**
   * Start over after the token went away or lost our sessions: stale sessions, stale handles, and
   * the slot looked up again (a re-inserted token may sit in another slot). One reset at a time.
   */
  resetToken(): Promise<void> {
    this.#resetting ??= Promise.resolve()
      .then(() => {
        this.dropSessions();
        this.#slot = this.#findSlotReinitializing();
      })
      .finally(() => {
        this.#resetting = undefined;
      });
    return this.#resetting;
  }

  /** Drop one reference; the last one closes the pool and releases the module. */
  release(): void {
    if (--this.#refs > 0) return;
    contexts.get(this.#loader)?.delete(this.#key);
    this.pool.close();
    this.#module.release();
  }

  #openSession(): Buffer {
    const session = this.api.C_OpenSession(this.#slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      this.ensureLogin(session);
    } catch (err) {
      this.api.C_CloseSession(session);
      throw err;
    }
    return session;
  }

  #findSlotReinitializing(): Buffer {
    try {
      return findSlot(this.api, this.#selector);
    } catch (err) {
      // Another user of the library finalized it: initialize again and look once more.
      if (ckrCode(err) !== pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED) throw err;
      this.api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      return findSlot(this.api, this.#selector);
    }
  }
}

/** The default pool size for a token that allows `maxSessions` sessions (0: no limit). */
export function defaultPoolSize(maxSessions: number): number {
  const unlimited = maxSessions === 0 || maxSessions >= CK_UNAVAILABLE_32;
  // Leave one session of a small allowance for other tools (pkcs11-tool, the operator's CLI).
  return unlimited ? DEFAULT_POOL_SIZE : Math.max(1, Math.min(DEFAULT_POOL_SIZE, maxSessions - 1));
}

function samePin(a: Secret | undefined, b: Secret | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [x, y] = [a.reveal(), b.reveal()];
  return x.length === y.length && timingSafeEqual(x, y);
}
