/** A short, stable class of KMS failure, used as a metric label and in error messages. */
export type KmsErrorKind =
  | "throttled"
  | "timeout"
  | "unreachable"
  | "server"
  | "disabled"
  | "not-found"
  | "access-denied"
  | "credentials"
  | "client";

/** What the backend needs to know about a failed KMS call. */
export interface ClassifiedKmsError {
  readonly kind: KmsErrorKind;
  /** An outage (network, timeout, throttling, 5xx): it counts towards opening the circuit. */
  readonly transient: boolean;
  /** Error name, code, HTTP status and attempts only: never an SDK message, header or credential. */
  readonly summary: string;
}

const THROTTLED = new Set(["ThrottlingException", "LimitExceededException", "TooManyRequestsException"]);
const TIMEOUT = new Set(["TimeoutError", "AbortError", "RequestTimeout", "RequestTimeoutException"]);
const SERVER = new Set(["KMSInternalException", "KeyUnavailableException", "DependencyTimeoutException"]);
const DISABLED = new Set(["DisabledException", "KMSInvalidStateException"]);
const DENIED = new Set([
  "AccessDeniedException",
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "ExpiredTokenException",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly attempts?: unknown };
}

/** Classify an error thrown by `KMSClient.send`. */
export function classifyKmsError(err: unknown): ClassifiedKmsError {
  const e = (typeof err === "object" && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === "string" ? e.name : "Error";
  const code = typeof e.code === "string" ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  const attempts = typeof e.$metadata?.attempts === "number" ? e.$metadata.attempts : undefined;
  const summary = [
    name.slice(0, 64),
    code ? `code ${code.slice(0, 32)}` : "",
    status ? `HTTP ${status}` : "",
    attempts ? `${attempts} attempt${attempts === 1 ? "" : "s"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const kind = kindOf(name, code, status);
  const transient = kind === "throttled" || kind === "timeout" || kind === "unreachable" || kind === "server";
  return { kind, transient, summary };
}

function kindOf(name: string, code: string | undefined, status: number | undefined): KmsErrorKind {
  if (THROTTLED.has(name) || status === 429) return "throttled";
  if (TIMEOUT.has(name) || code === "ETIMEDOUT") return "timeout";
  if (code !== undefined && NETWORK_CODES.has(code)) return "unreachable";
  if (SERVER.has(name) || (status !== undefined && status >= 500)) return "server";
  if (DISABLED.has(name)) return "disabled";
  if (name === "NotFoundException") return "not-found";
  if (DENIED.has(name)) return "access-denied";
  if (name === "CredentialsProviderError") return "credentials";
  // No HTTP answer at all (socket hang-up, TLS failure, odd proxy): treat it as the network being down.
  if (status === undefined) return "unreachable";
  return "client";
}
