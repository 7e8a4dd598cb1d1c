/** Error codes the proxy returns (docs/errors.md); a test fails when this list and the server's differ. */
export const SERVER_ERROR_CODES = Object.freeze([
  "ERR_VALIDATION",
  "ERR_BAD_DIGEST",
  "ERR_CANONICALIZATION",
  "ERR_UNAUTHENTICATED",
  "ERR_FORBIDDEN",
  "ERR_NOT_FOUND",
  "ERR_UNKNOWN_KID",
  "ERR_KEY_NOT_ACTIVE",
  "ERR_CONFLICT",
  "ERR_REQUEST_TIMEOUT",
  "ERR_PAYLOAD_TOO_LARGE",
  "ERR_UNSUPPORTED_MEDIA_TYPE",
  "ERR_HEADERS_TOO_LARGE",
  "ERR_RATE_LIMITED",
  "ERR_BACKEND_UNAVAILABLE",
  "ERR_AUDIT_UNAVAILABLE",
  "ERR_STORE_UNAVAILABLE",
  "ERR_OVERLOADED",
  "ERR_INTERNAL",
] as const);

/** A code the proxy sends in its error envelope. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/**
 * Codes the client itself raises when no server envelope exists: the attempt timed out, the
 * connection failed, the answer was not the documented JSON, or the client was closed.
 */
export type ClientErrorCode =
  | "ERR_TIMEOUT"
  | "ERR_CONNECTION"
  | "ERR_UNEXPECTED_RESPONSE"
  | "ERR_CLIENT_CLOSED";

/**
 * The code of a {@link SigningProxyError}: a known server or client code, or — from a newer server —
 * a code this SDK does not know yet, passed through unchanged.
 */
export type SigningProxyErrorCode = ServerErrorCode | ClientErrorCode | (string & Record<never, never>);

/** What a {@link SigningProxyError} carries besides its code and message. */
export interface SigningProxyErrorDetails {
  /** HTTP status; undefined when no response arrived. */
  readonly status?: number;
  /** The server's request id (envelope or `x-request-id`), to find the request in its log. */
  readonly requestId?: string;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  /** How many attempts were made, retries included. */
  readonly attempts?: number;
  readonly cause?: unknown;
}

/** Every failure of a SigningProxyClient call: switch on `code`. */
export class SigningProxyError extends Error {
  readonly code: SigningProxyErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(code: SigningProxyErrorCode, message: string, details: SigningProxyErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "SigningProxyError";
    this.code = code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.attempts = details.attempts ?? 1;
  }

  /** The same error, recording how many attempts were made. */
  withAttempts(attempts: number): SigningProxyError {
    return new SigningProxyError(this.code, this.message, {
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
      attempts,
    });
  }
}

/** True when `value` is a SigningProxyError (optionally with one of `codes`). */
export function isSigningProxyError(
  value: unknown,
  ...codes: readonly SigningProxyErrorCode[]
): value is SigningProxyError {
  return value instanceof SigningProxyError && (codes.length === 0 || codes.includes(value.code));
}
