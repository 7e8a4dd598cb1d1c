import { CanonicalizationError, parseStrictJson } from "@signing-proxy/client-sdk";
import type { FastifyInstance } from "fastify";
import { SignerError } from "../errors.js";

/**
 * Replace fastify's JSON parser with the strict one: a body with duplicate keys or lone surrogates
 * is ambiguous (two parsers may read two different requests from it), so it is refused everywhere.
 */
export function installStrictJson(
  app: FastifyInstance,
  limits: { maxDepth: number; maxBytes: number },
): void {
  // JSON only: fastify's default text/plain parser would hand strings to routes that expect objects.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseStrictJson(body as string, limits));
    } catch (err) {
      if (err instanceof CanonicalizationError) {
        const code = err.reason === "too-large" ? "ERR_PAYLOAD_TOO_LARGE" : "ERR_VALIDATION";
        done(new SignerError(code, `invalid JSON body: ${err.message}`.slice(0, 200)), undefined);
        return;
      }
      done(new SignerError("ERR_VALIDATION", "invalid JSON body"), undefined);
    }
  });
}
