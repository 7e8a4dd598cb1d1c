import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BackendUnavailableError } from "../backends/backend.js";
import { type ErrorCode, isSignerError, SignerError } from "../errors.js";
import { StoreUnavailableError } from "../store/store.js";

/** Fastify's own error codes mapped to ours, so clients only ever see the closed set. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: "ERR_PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "ERR_VALIDATION",
  FST_ERR_CTP_EMPTY_JSON_BODY: "ERR_VALIDATION",
  FST_ERR_CTP_INVALID_JSON_BODY: "ERR_VALIDATION",
  FST_ERR_VALIDATION: "ERR_VALIDATION",
  FST_ERR_RATE_LIMIT: "ERR_RATE_LIMITED",
});

/** Convert anything thrown into a SignerError; unknown errors become ERR_INTERNAL. */
export function toSignerError(err: unknown): SignerError {
  if (isSignerError(err)) return err;
  // The store being down is retryable too; the caller gets no result, and nothing was half-done.
  if (err instanceof StoreUnavailableError) {
    return new SignerError("ERR_STORE_UNAVAILABLE", "the store is unavailable", { cause: err });
  }
  // A backend outage anywhere (sign, verify, self-test) is a retryable 503, never a 500.
  if (err instanceof BackendUnavailableError) {
    return new SignerError("ERR_BACKEND_UNAVAILABLE", "the key backend is unavailable", { cause: err });
  }
  const fe = err as Partial<FastifyError> | undefined;
  if (fe?.validation) return new SignerError("ERR_VALIDATION", schemaMessage(fe as FastifyError));
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new SignerError(mapped, safeMessage(mapped, fe ?? {}));
  if (fe?.statusCode === 413) return new SignerError("ERR_PAYLOAD_TOO_LARGE", "request body too large");
  if (fe?.statusCode === 400) return new SignerError("ERR_VALIDATION", "malformed request");
  return new SignerError("ERR_INTERNAL", "internal error", { cause: err });
}

function schemaMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return "request does not match the schema";
  const where = `${err.validationContext ?? "body"}${first.instancePath || ""}`;
  return `${where} ${first.message ?? "is invalid"}`.slice(0, 200);
}

function safeMessage(code: ErrorCode, err: Partial<FastifyError>): string {
  if (code === "ERR_PAYLOAD_TOO_LARGE") return "request body too large";
  if (code === "ERR_UNSUPPORTED_MEDIA_TYPE") return "content-type must be application/json";
  return (err.message ?? "invalid request").slice(0, 200);
}

/** Send the A5 error envelope. */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: SignerError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply
    .code(error.status)
    .send({ error: { code: error.code, message: error.message, requestId: request.id } });
}

/** One error handler and one not-found handler: envelope out, detail only in the log. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const error = toSignerError(err);
    if (error.status >= 500)
      request.log.error({ err: error.cause ?? err, code: error.code }, "request failed");
    else request.log.info({ code: error.code, msg: error.message }, "request refused");
    return sendError(reply, request, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      request,
      new SignerError(
        "ERR_NOT_FOUND",
        `no route ${request.method} ${request.url.split("?")[0]}`.slice(0, 200),
      ),
    ),
  );
}
