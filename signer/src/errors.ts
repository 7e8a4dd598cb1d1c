/** Every error code the service can return, with its HTTP status. Callers switch on `code`. */
export const ERROR_STATUS = Object.freeze({
  ERR_VALIDATION: 400,
  ERR_BAD_DIGEST: 400,
  ERR_CANONICALIZATION: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_UNKNOWN_KID: 404,
  ERR_KEY_NOT_ACTIVE: 409,
  ERR_CONFLICT: 409,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_HEADERS_TOO_LARGE: 431,
  ERR_RATE_LIMITED: 429,
  ERR_BACKEND_UNAVAILABLE: 503,
  ERR_AUDIT_UNAVAILABLE: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_OVERLOADED: 503,
  ERR_INTERNAL: 500,
} as const);

/** The closed union of error codes. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** One-line, client-safe description of each code (documented in docs/errors.md). */
export const ERROR_DESCRIPTIONS: Readonly<Record<ErrorCode, string>> = Object.freeze({
  ERR_VALIDATION: "the request body, query or parameters do not match the schema",
  ERR_BAD_DIGEST: "digestHex is not 64 lowercase or uppercase hex characters",
  ERR_CANONICALIZATION:
    "the payload cannot be canonicalized (RFC 8785): duplicate key, lone surrogate, too deep or too large",
  ERR_UNAUTHENTICATED: "no valid client certificate identity or API key",
  ERR_FORBIDDEN: "the principal may not perform this operation or use this key",
  ERR_NOT_FOUND: "no such resource",
  ERR_UNKNOWN_KID: "no key with this kid is registered",
  ERR_KEY_NOT_ACTIVE: "the key exists but its status does not allow this operation",
  ERR_CONFLICT: "the request conflicts with the current state",
  ERR_REQUEST_TIMEOUT: "the request headers or body did not arrive in time; the connection is closed",
  ERR_PAYLOAD_TOO_LARGE: "the request body exceeds the configured limit",
  ERR_UNSUPPORTED_MEDIA_TYPE: "the request body must be application/json",
  ERR_HEADERS_TOO_LARGE: "the request headers exceed the server's limit; the connection is closed",
  ERR_RATE_LIMITED: "too many requests; retry after the Retry-After delay",
  ERR_BACKEND_UNAVAILABLE: "the key backend is unavailable; retry later",
  ERR_AUDIT_UNAVAILABLE: "the audit log cannot commit the event, so no signature is released",
  ERR_STORE_UNAVAILABLE: "the store is unavailable; retry later",
  ERR_OVERLOADED: "the service is shedding load; retry later",
  ERR_INTERNAL: "an unexpected error; see the server log for the request id",
});

/** An error whose code and message are safe to return to clients; `cause` stays in logs. */
export class SignerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SignerError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds ?? (this.status === 503 ? 1 : undefined);
  }
}

/** True when `value` is a SignerError (also across module instances). */
export function isSignerError(value: unknown): value is SignerError {
  return value instanceof SignerError;
}
