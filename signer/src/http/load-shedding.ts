import type { FastifyInstance } from "fastify";
import { SignerError } from "../errors.js";

/**
 * Cap the requests in progress at `maxInflight` (SIGNER_MAX_INFLIGHT). Beyond it a request is
 * answered at once with 503 ERR_OVERLOADED and Retry-After, before authentication or parsing, so an
 * overload turns into fast refusals instead of a queue whose latency grows without bound.
 * Returns a reader of the current count (for tests and metrics).
 */
export function installLoadShedding(app: FastifyInstance, maxInflight: number): () => number {
  let inflight = 0;
  app.addHook("onRequest", async (_request, reply) => {
    // Shed before doing any work: the cheapest refusal is the one that costs nothing downstream.
    if (inflight >= maxInflight) {
      throw new SignerError("ERR_OVERLOADED", "the service is at its concurrency limit; retry later", {
        retryAfterSeconds: 1,
      });
    }
    inflight++;
    // 'close' fires once per response, whether it finished or the client went away mid-request.
    reply.raw.once("close", () => {
      inflight--;
    });
  });
  return () => inflight;
}
