import { readFileSync } from "node:fs";
import { Agent, request } from "undici";

/** Where and as whom the operator CLI talks to the proxy (mutual TLS with the operator's cert). */
export interface ProxyConnection {
  readonly url: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly apiKey?: string;
}

/** The proxy answered with an error envelope (or something that is not JSON). */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ProxyError";
  }
}

/** The connection flags, each falling back to its SIGNING_PROXY_* variable. */
export interface ConnectionFlags {
  readonly url?: string | undefined;
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * Resolve `--url --ca --cert --key` (or SIGNING_PROXY_URL, SIGNING_PROXY_CA, SIGNING_PROXY_CERT,
 * SIGNING_PROXY_KEY; the API key only from SIGNING_PROXY_API_KEY, never a flag that `ps` would show).
 * Throws an Error naming what is missing.
 */
export function connectionFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ProxyConnection {
  const pick = (flag: string | undefined, variable: string, name: string): string => {
    const value = flag ?? env[variable];
    if (value === undefined || value === "") throw new Error(`--${name} or ${variable} is required`);
    return value;
  };
  const read = (path: string, name: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read --${name} ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  const url = pick(flags.url, "SIGNING_PROXY_URL", "url").replace(/\/+$/, "");
  // The operator's approval travels with its client certificate: plain HTTP would be neither.
  if (!url.startsWith("https://")) throw new Error("--url must be an https:// URL (the mTLS main port)");
  const apiKey = env.SIGNING_PROXY_API_KEY;
  return {
    url,
    ca: read(pick(flags.ca, "SIGNING_PROXY_CA", "ca"), "ca"),
    cert: read(pick(flags.cert, "SIGNING_PROXY_CERT", "cert"), "cert"),
    key: read(pick(flags.key, "SIGNING_PROXY_KEY", "key"), "key"),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** A JSON call to the proxy over mutual TLS; non-2xx answers throw ProxyError with the server's code. */
export async function callProxy(
  conn: ProxyConnection,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const agent = new Agent({
    connect: { ca: conn.ca, cert: conn.cert, key: conn.key, minVersion: "TLSv1.3" },
  });
  try {
    const res = await request(`${conn.url}${path}`, {
      method,
      dispatcher: agent,
      headers: {
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(conn.apiKey ? { authorization: `Bearer ${conn.apiKey}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProxyError(res.statusCode, "ERR_NOT_JSON", `HTTP ${res.statusCode} without a JSON body`);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return parsed;
    const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
    const code = typeof error?.code === "string" ? error.code : `HTTP_${res.statusCode}`;
    const message = typeof error?.message === "string" ? error.message : `HTTP ${res.statusCode}`;
    throw new ProxyError(res.statusCode, code, message);
  } finally {
    await agent.close();
  }
}
