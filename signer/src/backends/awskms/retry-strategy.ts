/** A retry token as the AWS SDK's retry middleware uses it (structurally `RetryToken` of @smithy/types). */
export interface KmsRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** Options of {@link JitterRetryStrategy}. */
export interface JitterRetryOptions {
  /** Attempts per call, the first included (at least 1). */
  readonly maxAttempts: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^n)) ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Called once per granted retry, with the SDK's classification of the error. */
  readonly onRetry?: (errorType: string) => void;
  readonly random?: () => number;
}

/** The SDK's error classes that a later attempt can cure. */
const RETRYABLE: ReadonlySet<string> = new Set(["THROTTLING", "TRANSIENT", "SERVER_ERROR"]);

/**
 * A bounded retry strategy for the AWS SDK (its `RetryStrategyV2` interface): throttling,
 * transient network faults and 5xx are retried up to `maxAttempts` with full-jitter exponential
 * backoff; client errors never are. The SDK's own standard strategy backs off throttling from a
 * 1 s base, which would hold a signing request for seconds; this one uses the configured base for
 * all classes and reports every retry, so the retry count is visible in metrics.
 */
export class JitterRetryStrategy {
  readonly mode = "standard";
  readonly #options: JitterRetryOptions;

  constructor(options: JitterRetryOptions) {
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new RangeError("maxAttempts must be an integer ≥ 1");
    }
    this.#options = options;
  }

  async acquireInitialRetryToken(_scope: string): Promise<KmsRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(
    previous: KmsRetryToken,
    info: { errorType: string },
  ): Promise<KmsRetryToken> {
    const retry = previous.getRetryCount() + 1;
    // A client error (bad key, denied, invalid input) fails the same way again; repeating it only adds load.
    if (!RETRYABLE.has(info.errorType)) throw new Error(`${info.errorType} errors are not retried`);
    // Bounded: an outage must surface as an error quickly, not as requests piling up.
    if (retry >= this.#options.maxAttempts) throw new Error("no attempts left");
    const { baseDelayMs, maxDelayMs } = this.#options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
    const delay = Math.floor((this.#options.random ?? Math.random)() * ceiling);
    this.#options.onRetry?.(info.errorType);
    return token(retry, delay);
  }

  recordSuccess(_token: KmsRetryToken): void {}
}

function token(count: number, delay: number): KmsRetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}
