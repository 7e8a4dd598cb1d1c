import { KMSClient } from "@aws-sdk/client-kms";
import type { AwsConfig } from "../../config/types.js";
import { JitterRetryStrategy } from "./retry-strategy.js";

/** Timeouts, retries and circuit-breaker settings of the `awskms:` backend. */
export interface AwsKmsTuning {
  /** TCP/TLS connect timeout per attempt. */
  readonly connectTimeoutMs: number;
  /** Request/response timeout per attempt. */
  readonly requestTimeoutMs: number;
  /** Hard ceiling on one call, all attempts and backoff included. */
  readonly deadlineMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** Full-jitter backoff: retry n waits up to min(maxDelayMs, baseDelayMs · 2^n). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive failed calls that open the circuit. */
  readonly breakerThreshold: number;
  /** How long the open circuit fails fast before one probe call is let through. */
  readonly breakerCooldownMs: number;
}

/**
 * Defaults. KMS answers Sign in tens of milliseconds, so 2 s per attempt is already an outage.
 * Six attempts make a call survive 50% throttling 98% of the time (0.5^6 fails), the jittered
 * backoff adds at most ~1.2 s, and the 4 s deadline bounds a call even when every attempt times out.
 */
export const DEFAULT_AWS_KMS_TUNING: Readonly<AwsKmsTuning> = Object.freeze({
  connectTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  deadlineMs: 4000,
  maxAttempts: 6,
  baseDelayMs: 25,
  maxDelayMs: 500,
  breakerThreshold: 5,
  breakerCooldownMs: 2000,
});

/** Where and as whom the client talks to KMS. */
export interface KmsClientTarget {
  readonly region: string;
  readonly endpoint?: string;
  /** Static credentials from config; without them the SDK's standard credential chain applies. */
  readonly credentials?: AwsConfig["credentials"];
}

/**
 * A KMSClient with explicit region, endpoint, timeouts and the bounded retry strategy. Static
 * credentials are revealed only inside the provider the SDK calls, never stored in a plain field
 * of ours; the SDK's logger stays the default no-op, so no request (or its signature) is logged.
 */
export function createKmsClient(
  target: KmsClientTarget,
  tuning: AwsKmsTuning,
  onRetry?: (errorType: string) => void,
): KMSClient {
  const creds = target.credentials;
  return new KMSClient({
    region: target.region,
    ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}),
    ...(creds !== undefined
      ? {
          credentials: async () => ({
            accessKeyId: creds.accessKeyId,
            secretAccessKey: creds.secretAccessKey.revealText(),
            ...(creds.sessionToken !== undefined ? { sessionToken: creds.sessionToken.revealText() } : {}),
          }),
        }
      : {}),
    maxAttempts: tuning.maxAttempts,
    retryStrategy: new JitterRetryStrategy({
      maxAttempts: tuning.maxAttempts,
      baseDelayMs: tuning.baseDelayMs,
      maxDelayMs: tuning.maxDelayMs,
      ...(onRetry ? { onRetry } : {}),
    }),
    requestHandler: {
      connectionTimeout: tuning.connectTimeoutMs,
      requestTimeout: tuning.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}
