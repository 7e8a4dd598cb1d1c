import type { KeyObject } from "node:crypto";
import type { Alg } from "../algorithms.js";
import type { AwsConfig, KeyConfig } from "../config/types.js";

/** Which implementation holds a key. */
export type BackendKind = "softkey" | "pkcs11" | "awskms";

/**
 * One key held by one backend. Private keys never leave it: the proxy only asks it to sign a
 * 32-byte digest exactly as DESIGN.md A4 describes, and to check its own health.
 */
export interface SigningBackend {
  readonly kid: string;
  readonly alg: Alg;
  readonly kind: BackendKind;
  /** The public key (cached by the backend); null for HMAC keys. */
  publicKey(): Promise<KeyObject | null>;
  /** Sign a 32-byte SHA-256 digest; returns the A4 signature bytes. */
  sign(digest: Buffer): Promise<Buffer>;
  /**
   * Optional: sign many digests at once, signatures in order (what `sign` would return for each).
   * Backends offer it where a batch is cheaper than one call per digest (software Ed25519 spreads
   * a batch over worker threads).
   */
  signMany?(digests: readonly Buffer[]): Promise<Buffer[]>;
  /** Check a signature over a digest (asymmetric backends may check locally). */
  verify(digest: Buffer, signature: Buffer): Promise<boolean>;
  /** Throws when the key cannot be used right now (used by /readyz). */
  healthCheck(): Promise<void>;
  /** Release sessions, handles and connections. */
  close(): Promise<void>;
}

/** What a backend factory receives besides its key's configuration. */
export interface BackendContext {
  readonly strict: boolean;
  readonly dataDir: string;
  /** Region, endpoint and credentials from config, for `awskms:` keys (only config reads the environment). */
  readonly aws?: AwsConfig;
  /** Where backends report retries, circuit-breaker changes and failures (metrics); optional. */
  readonly telemetry?: BackendTelemetry;
}

/** Hooks a remote backend reports through; the service wires them to Prometheus metrics. */
export interface BackendTelemetry {
  /** One call to the backend was retried once more. */
  retried(kind: BackendKind, kid: string): void;
  /** The backend's circuit breaker opened (fail fast) or closed again. */
  circuitChanged(kind: BackendKind, kid: string, open: boolean): void;
  /** A call failed; `errorKind` is a short class such as `throttled`, `timeout` or `unreachable`. */
  failed(kind: BackendKind, errorKind: string): void;
}

/** Builds a backend for one configured key; throws a BackendConfigError on a bad URI or key. */
export type BackendFactory = (key: KeyConfig, ctx: BackendContext) => Promise<SigningBackend>;

/** A key's configuration cannot be turned into a usable backend (reported at start-up). */
export class BackendConfigError extends Error {
  constructor(
    readonly kid: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`key ${kid}: ${message}`, options);
    this.name = "BackendConfigError";
  }
}

/** The backend failed at run time (device gone, network down); maps to 503 ERR_BACKEND_UNAVAILABLE. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly kid: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`key ${kid}: ${message}`, options);
    this.name = "BackendUnavailableError";
  }
}
