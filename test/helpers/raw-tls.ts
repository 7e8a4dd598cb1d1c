import { connect, type TLSSocket } from "node:tls";

/** Client credentials for a raw TLS connection to the main port. */
export interface RawTlsCredentials {
  readonly ca: string | Buffer;
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** One parsed HTTP/1.1 response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A raw mutual-TLS connection that writes bytes exactly as given (undici refuses to send malformed
 * requests, so hostile ones go through here) and parses the responses that come back.
 */
export class RawTlsConnection {
  readonly socket: TLSSocket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: Array<() => void> = [];

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    const end = () => {
      this.#closed = true;
      this.#wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Connect and finish the handshake (rejects when the server refuses the certificate). */
  static open(url: string, creds: RawTlsCredentials): Promise<RawTlsConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: u.hostname,
        port: Number(u.port),
        servername: "localhost",
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        minVersion: "TLSv1.3",
      });
      socket.once("secureConnect", () => {
        socket.off("error", reject);
        resolve(new RawTlsConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** True once the server closed (or reset) the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next complete response (Content-Length framed), or null if the connection closes first. */
  async response(timeoutMs = 10_000): Promise<RawResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolve when the server has closed the connection, or reject after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #take(): RawResponse | null {
    const end = this.#buffer.indexOf("\r\n\r\n");
    if (end < 0) return null;
    const head = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? "")?.[1] ?? "0");
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers["content-length"] ?? "0");
    if (this.#buffer.length < end + 4 + length) return null;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString("utf8");
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }
}

/** A POST of `body` as application/json with the given extra header lines. */
export function rawPost(path: string, body: string, extraHeaders: readonly string[] = []): string {
  return [
    `POST ${path} HTTP/1.1`,
    "host: localhost",
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    ...extraHeaders,
    "",
    body,
  ].join("\r\n");
}

/** A GET with the given extra header lines. */
export function rawGet(path: string, extraHeaders: readonly string[] = []): string {
  return [`GET ${path} HTTP/1.1`, "host: localhost", ...extraHeaders, "", ""].join("\r\n");
}
