/** Faults the mock injects into TrentService calls, for reliability tests. */
export interface MockKmsFaults {
  /** Delay before every answer, in milliseconds. */
  readonly latencyMs: number;
  /** Probability (0..1) of answering ThrottlingException (400). */
  readonly throttleRate: number;
  /** Probability (0..1) of answering KMSInternalException (500). */
  readonly failRate: number;
}

/** No faults. */
export const NO_FAULTS: MockKmsFaults = Object.freeze({ latencyMs: 0, throttleRate: 0, failRate: 0 });

/** The longest injectable latency (10 min): long enough to outlast any client timeout. */
export const MAX_LATENCY_MS = 600_000;

/**
 * Merge a partial update (flags or a `POST /_faults` body) into `current`. Throws a RangeError
 * naming the field for unknown names, non-numbers and values out of range.
 */
export function mergeFaults(current: MockKmsFaults, update: unknown): MockKmsFaults {
  if (typeof update !== "object" || update === null || Array.isArray(update)) {
    throw new RangeError("faults must be a JSON object with latencyMs, throttleRate and/or failRate");
  }
  const next: Record<keyof MockKmsFaults, number> = { ...current };
  for (const [name, value] of Object.entries(update)) {
    if (name !== "latencyMs" && name !== "throttleRate" && name !== "failRate") {
      throw new RangeError(
        `unknown fault ${JSON.stringify(name).slice(0, 40)} (latencyMs, throttleRate, failRate)`,
      );
    }
    const max = name === "latencyMs" ? MAX_LATENCY_MS : 1;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
      throw new RangeError(`${name} must be a number from 0 to ${max}`);
    }
    next[name] = name === "latencyMs" ? Math.round(value) : value;
  }
  return Object.freeze(next);
}
