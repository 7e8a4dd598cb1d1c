/** A session lent out by a {@link SessionPool}; hand it back with release() or discard(). */
export interface Lease<S> {
  readonly session: S;
  /** The pool generation it was opened in; a reset makes older leases stale. */
  readonly generation: number;
}

/** How a {@link SessionPool} opens and closes sessions and what it throws on a timeout. */
export interface SessionPoolOptions<S> {
  /** Sessions open at most at once. */
  readonly size: number;
  /** Open (and log in) a session; may throw, and then the caller of acquire() gets the error. */
  readonly open: () => S;
  /** Close a session; errors are ignored (the session may already be gone). */
  readonly close: (session: S) => void;
}

/** acquire() failed without trying the token: no session freed up in time, or the pool is closed. */
export class SessionPoolError extends Error {
  override readonly name = "SessionPoolError";
  constructor(
    readonly reason: "timeout" | "closed",
    message: string,
  ) {
    super(message);
  }
}

interface Waiter<S> {
  /** performance.now() after which the waiter gives up. */
  readonly deadline: number;
  readonly waitMs: number;
  /** Hand over an idle session, or `null`: a slot was reserved and the waiter opens its own. */
  grant(lease: Lease<S> | null): void;
  reject(err: Error): void;
}

/**
 * A bounded pool of PKCS#11 sessions. Sessions open lazily up to `size`; callers beyond that wait
 * in FIFO order for at most `waitMs` and then get a SessionPoolError (503) rather than hanging. A
 * reset() (sessions closed behind our back, token removed) makes every open session stale: idle
 * ones close at once, busy ones when they come back.
 */
export class SessionPool<S> {
  readonly #opts: SessionPoolOptions<S>;
  #size: number;
  #idle: Lease<S>[] = [];
  #waiters: Waiter<S>[] = [];
  #open = 0;
  #generation = 0;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: SessionPoolOptions<S>) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError("pool size must be ≥ 1");
    this.#opts = opts;
    this.#size = opts.size;
  }

  /** The current pool generation; leases of older generations are stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Maximum number of sessions. */
  get size(): number {
    return this.#size;
  }

  /** Sessions open now (idle and lent out). */
  get openCount(): number {
    return this.#open;
  }

  /** Allow more sessions (a pool shared by keys takes the largest size any of them asks for). */
  grow(size: number): void {
    while (this.#size < size) {
      this.#size++;
      this.#passSlot();
    }
  }

  /** Borrow a session: an idle one, a new one while below size, or the next one freed within `waitMs`. */
  acquire(waitMs: number): Promise<Lease<S>> {
    if (this.#closed) return Promise.reject(closedError());
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#open < this.#size) {
      this.#open++;
      return this.#openReserved();
    }
    return new Promise<Lease<S>>((resolve, reject) => {
      this.#waiters.push({
        deadline: performance.now() + waitMs,
        waitMs,
        grant: (lease) => {
          if (lease) resolve(lease);
          else this.#openReserved().then(resolve, reject);
        },
        reject,
      });
      this.#armTimer();
    });
  }

  /** Return a healthy session; a stale one (opened before a reset) is closed instead. */
  release(lease: Lease<S>): void {
    if (this.#closed || lease.generation !== this.#generation) {
      this.discard(lease);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter.grant(lease);
    else this.#idle.push(lease);
  }

  /** Close a session that failed; its slot goes to the next waiter. */
  discard(lease: Lease<S>): void {
    this.#quietClose(lease.session);
    this.#open--;
    this.#passSlot();
  }

  /** Make every open session stale (they were closed behind the pool's back, or the token went away). */
  reset(): void {
    this.#generation++;
    const idle = this.#idle;
    this.#idle = [];
    for (const lease of idle) this.discard(lease);
  }

  /** Close idle sessions, fail waiters, and close busy sessions as they come back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.reset();
    const waiters = this.#waiters;
    this.#waiters = [];
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of waiters) w.reject(closedError());
  }

  async #openReserved(): Promise<Lease<S>> {
    try {
      return { session: this.#opts.open(), generation: this.#generation };
    } catch (err) {
      this.#open--;
      this.#passSlot();
      throw err;
    }
  }

  /**
   * One timer for all waiters, set for the earliest deadline: under 64 concurrent callers nearly
   * every sign waits, and a timer per wait is avoidable event-loop work on the hot path.
   */
  #armTimer(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    const next = Math.min(...this.#waiters.map((w) => w.deadline));
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const now = performance.now();
        const expired = this.#waiters.filter((w) => w.deadline <= now);
        this.#waiters = this.#waiters.filter((w) => w.deadline > now);
        for (const w of expired) {
          w.reject(
            new SessionPoolError("timeout", `no free session within ${w.waitMs} ms (pool of ${this.#size})`),
          );
        }
        this.#armTimer();
      },
      Math.max(0, next - performance.now()) + 1,
    );
  }

  #passSlot(): void {
    if (this.#closed || this.#open >= this.#size) return;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    this.#open++;
    waiter.grant(null);
  }

  #quietClose(session: S): void {
    try {
      this.#opts.close(session);
    } catch {
      // Already closed (that is usually why it is discarded).
    }
  }
}

function closedError(): SessionPoolError {
  return new SessionPoolError("closed", "the session pool is closed");
}
