/** Closed: calls flow. Open: calls fail fast. Half-open: one probe call decides. */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (at least 1). */
  readonly threshold: number;
  /** How long an open circuit fails fast before it lets one probe through. */
  readonly cooldownMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (state: CircuitState) => void;
}

/** Thrown instead of calling out while the circuit is open (or a half-open probe is in flight). */
export class CircuitOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`circuit open; retry in ${retryAfterMs} ms`);
    this.name = "CircuitOpenError";
  }
}

/**
 * A consecutive-failure circuit breaker. While a dependency is down, callers get a
 * CircuitOpenError at once instead of each waiting out timeouts and retries; after the
 * cool-down a single probe call is let through, and its success closes the circuit again.
 * Only failures that `isFailure` counts (outages, not e.g. an invalid request) trip it.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #state: CircuitState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.threshold) || options.threshold < 1) {
      throw new RangeError("threshold must be an integer ≥ 1");
    }
    if (!(options.cooldownMs >= 0)) throw new RangeError("cooldownMs must be ≥ 0");
    this.#options = options;
  }

  /** The current state (an open circuit past its cool-down reports half-open). */
  get state(): CircuitState {
    if (this.#state === "open" && this.#remainingMs() === 0) return "half-open";
    return this.#state;
  }

  /** Run `work` unless the circuit is open; record its outcome. */
  async run<T>(work: () => Promise<T>, isFailure: (err: unknown) => boolean): Promise<T> {
    const probe = this.#admit();
    try {
      const result = await work();
      this.#succeeded();
      return result;
    } catch (err) {
      // An answer that is not an outage (e.g. "invalid signature") still proves the dependency is up.
      if (isFailure(err)) this.#failed(probe);
      else this.#succeeded();
      throw err;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  /** Returns true when this call is the half-open probe; throws when it must fail fast. */
  #admit(): boolean {
    if (this.#state === "closed") return false;
    const remaining = this.#remainingMs();
    if (this.#state === "open" && remaining > 0) throw new CircuitOpenError(remaining);
    // One probe at a time: a flood of calls into a dependency that may still be down is what the breaker prevents.
    if (this.#probing) throw new CircuitOpenError(Math.max(1, Math.min(this.#options.cooldownMs, 1000)));
    this.#setState("half-open");
    this.#probing = true;
    return true;
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#setState("closed");
  }

  #failed(probe: boolean): void {
    this.#failures += 1;
    if (probe || (this.#state === "closed" && this.#failures >= this.#options.threshold)) {
      this.#openedAt = this.#now();
      this.#setState("open");
    }
  }

  #remainingMs(): number {
    return Math.max(0, this.#openedAt + this.#options.cooldownMs - this.#now());
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #setState(state: CircuitState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }
}
