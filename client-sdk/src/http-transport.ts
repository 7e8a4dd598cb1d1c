// One keep-alive mTLS connection pool to the proxy, with per-attempt timeouts and bounded retries.
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { SigningProxyError } from "./client-error.js";
import {
  type AttemptFailure,
  isRetryable,
  parseRetryAfter,
  type RetryPolicy,
  type RouteSafety,
  retryDelayMs,
} from "./retry.js";

/** PEM text or bytes. */
export type PemInput = string | Buffer;

/** How the transport connects: the main-port URL and the client's TLS identity. */
export interface TransportOptions {
  readonly url: string;
  readonly ca: PemInput | readonly PemInput[];
  readonly cert: PemInput;
  readonly key: PemInput;
  readonly apiKey?: string;
  readonly servername?: string;
  readonly timeoutMs: number;
  readonly connections: number;
  readonly retry: RetryPolicy;
}

/** One call: method, path under the base URL, optional JSON body, and whether it may be repeated. */
export interface TransportRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  readonly safety: RouteSafety;
}

// Failures where the connection never carried the request, so retrying is safe for any route.
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
// Failures a retry cannot fix: certificate checks and a closed client.
const FINAL = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|UND_ERR_DESTROYED$|UND_ERR_CLOSED$)/;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const USER_AGENT = "signing-proxy-client-sdk/0.1.0";

const failures = new WeakMap<SigningProxyError, AttemptFailure>();

/** The pooled HTTP client behind SigningProxyClient. */
export class Transport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {
    const url = new URL(opts.url);
    // mTLS is the proxy's authentication: a plain-http main port would send the API key in the clear.
    if (url.protocol !== "https:") throw new TypeError("url must be https:// (the proxy's mTLS main port)");
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.headers = {
      accept: "application/json",
      "user-agent": USER_AGENT,
      ...(opts.apiKey !== undefined ? { "x-api-key": opts.apiKey } : {}),
    };
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      connect: {
        ca: Array.isArray(opts.ca) ? [...opts.ca] : (opts.ca as PemInput),
        cert: opts.cert,
        key: opts.key,
        minVersion: "TLSv1.3",
        ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
      },
    });
  }

  /** Send `req`, retrying per the policy; resolves with the parsed JSON body of a 2xx answer. */
  async call(req: TransportRequest): Promise<unknown> {
    const { retry } = this.opts;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(req);
      } catch (err) {
        const error = err instanceof SigningProxyError ? err : unexpected(err);
        const failure = failures.get(error) ?? { kind: "final" };
        if (attempt > retry.retries || this.closed || !isRetryable(failure, req.safety)) {
          throw error.withAttempts(attempt);
        }
        await sleep(retryDelayMs(attempt - 1, error.retryAfterMs, retry));
      }
    }
  }

  /** Close idle connections and refuse further calls; in-flight calls finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  private async attempt(req: TransportRequest): Promise<unknown> {
    if (this.closed) throw tag(new SigningProxyError("ERR_CLIENT_CLOSED", "the client is closed"), "final");
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const hasBody = req.body !== undefined;
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await this.pool.request({
        method: req.method,
        path: this.basePath + req.path,
        headers: hasBody ? { ...this.headers, "content-type": "application/json" } : this.headers,
        ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
        signal,
      });
      status = res.statusCode;
      headers = res.headers;
      text = await readText(res.body);
    } catch (err) {
      throw networkError(err, signal.aborted, this.opts.timeoutMs);
    }
    const headerId = headers["x-request-id"];
    const requestId = typeof headerId === "string" ? headerId : undefined;
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw tag(
          badAnswer(`status ${status} with a body that is not JSON`, status, requestId, err),
          "final",
        );
      }
    }
    throw tag(errorFromEnvelope(status, text, requestId, parseRetryAfter(headers["retry-after"])), "status");
  }
}

async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    // A misbehaving endpoint must not make the client buffer without bound.
    if (size > MAX_RESPONSE_BYTES) throw new Error("response body exceeds 64 MiB");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function errorFromEnvelope(
  status: number,
  text: string,
  headerId: string | undefined,
  retryAfterMs: number | undefined,
): SigningProxyError {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = undefined;
  }
  const body = (envelope as { error?: { code?: unknown; message?: unknown; requestId?: unknown } })?.error;
  const requestId = typeof body?.requestId === "string" ? body.requestId : headerId;
  const details = {
    status,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
  if (typeof body?.code === "string" && /^ERR_[A-Z0-9_]{1,60}$/.test(body.code)) {
    const message = typeof body.message === "string" ? body.message : body.code;
    return new SigningProxyError(body.code, message, details);
  }
  // Not the proxy's envelope (e.g. an HTML page from a load balancer): keep the status, drop the body.
  return new SigningProxyError(
    "ERR_UNEXPECTED_RESPONSE",
    `HTTP ${status} without an error envelope`,
    details,
  );
}

function networkError(err: unknown, timedOut: boolean, timeoutMs: number): SigningProxyError {
  if (timedOut) {
    return tag(
      new SigningProxyError("ERR_TIMEOUT", `no answer within ${timeoutMs} ms`, { cause: err }),
      "maybe-sent",
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  const name = typeof code === "string" ? code : "unknown";
  const kind = NOT_SENT.has(name) ? "not-sent" : FINAL.test(name) ? "final" : "maybe-sent";
  const error = new SigningProxyError(
    name === "UND_ERR_DESTROYED" || name === "UND_ERR_CLOSED" ? "ERR_CLIENT_CLOSED" : "ERR_CONNECTION",
    `connection to the signing proxy failed (${name})`,
    { cause: err },
  );
  return tag(error, kind);
}

function badAnswer(
  message: string,
  status: number | undefined,
  requestId: string | undefined,
  cause?: unknown,
): SigningProxyError {
  return new SigningProxyError("ERR_UNEXPECTED_RESPONSE", message, {
    ...(status !== undefined ? { status } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

function unexpected(err: unknown): SigningProxyError {
  return tag(badAnswer("unexpected client failure", undefined, undefined, err), "final");
}

function tag(error: SigningProxyError, kind: AttemptFailure["kind"]): SigningProxyError {
  failures.set(error, kind === "status" ? { kind, status: error.status ?? 0 } : { kind });
  return error;
}
