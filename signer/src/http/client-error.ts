import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { ERROR_STATUS, type ErrorCode } from "../errors.js";

function classify(code: string | undefined): { code: ErrorCode; message: string } {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return { code: "ERR_REQUEST_TIMEOUT", message: "the request was not received in time" };
  }
  if (code === "HPE_HEADER_OVERFLOW") {
    return { code: "ERR_HEADERS_TOO_LARGE", message: "the request headers are too large" };
  }
  return { code: "ERR_VALIDATION", message: "malformed HTTP request" };
}

/**
 * Fastify `clientErrorHandler`: what Node's HTTP parser refuses before any route runs (bad header
 * bytes such as CR/LF/NUL, conflicting Content-Length and Transfer-Encoding, oversized headers,
 * slow clients hitting headersTimeout/requestTimeout) still gets the A5 error envelope, a fresh
 * x-request-id, and a closed connection.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  err: Error & { code?: string },
  socket: Socket,
): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const { code, message } = classify(err.code);
  const status = ERROR_STATUS[code];
  const requestId = randomUUID();
  this.log.info({ requestId, code, reason: err.code }, "client error");
  // Only answer when no response of this connection has started; otherwise the bytes would corrupt it.
  const inflight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inflight?.headersSent) {
    const body = JSON.stringify({ error: { code, message, requestId } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\ncache-control: no-store\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  }
  // The parser state is unknown after an error: never reuse this connection.
  setTimeout(() => socket.destroy(), 1000).unref();
}
