import type { FastifyInstance } from "fastify";
import { SignerError } from "../errors.js";
import type { TransparencyLog } from "../log/transparency-log.js";
import type { Store } from "../store/store.js";
import { auditEventSchema } from "./audit.js";
import { errorResponses } from "./schemas.js";

/** Options of the transparency-log routes; `log` is undefined when no logKid is configured. */
export interface LogRoutesOptions {
  readonly log: TransparencyLog | undefined;
  readonly store: Store;
}

const SIZE = { type: "string", pattern: "^[0-9]{1,15}$" } as const;
const proofSchema = { type: "array", items: { type: "string" } } as const;
const textResponse = { 200: { type: "string" }, ...errorResponses } as const;

function requireLog(log: TransparencyLog | undefined): TransparencyLog {
  if (!log) throw new SignerError("ERR_NOT_FOUND", "no transparency log is configured (logKid)");
  return log;
}

const b64 = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString("base64"));

/** GET /log/checkpoint, /log/key, /log/proof/inclusion, /log/proof/consistency, /log/receipt/:index. */
export async function logRoutes(app: FastifyInstance, opts: LogRoutesOptions): Promise<void> {
  app.get(
    "/log/checkpoint",
    {
      schema: { summary: "The latest signed checkpoint (C2SP tlog-checkpoint note)", response: textResponse },
    },
    async (_request, reply) => {
      const latest = (await requireLog(opts.log).latest()) ?? (await requireLog(opts.log).checkpoint());
      // Served byte for byte: the signature covers the exact text.
      return reply.type("text/plain; charset=utf-8").send(latest.note);
    },
  );

  app.get(
    "/log/key",
    { schema: { summary: "The C2SP verifier key of the log", response: textResponse } },
    async (_request, reply) =>
      reply.type("text/plain; charset=utf-8").send(`${requireLog(opts.log).verifierKey}\n`),
  );

  app.get<{ Querystring: { index: string; size: string } }>(
    "/log/proof/inclusion",
    {
      schema: {
        summary: "RFC 9162 inclusion proof of leaf `index` in the tree of `size`",
        querystring: {
          type: "object",
          additionalProperties: false,
          required: ["index", "size"],
          properties: { index: SIZE, size: SIZE },
        },
        response: {
          200: {
            type: "object",
            required: ["index", "size", "proof"],
            properties: { index: { type: "integer" }, size: { type: "integer" }, proof: proofSchema },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const index = Number(request.query.index);
      const size = Number(request.query.size);
      return { index, size, proof: b64(await requireLog(opts.log).inclusionProof(index, size)) };
    },
  );

  app.get<{ Querystring: { from: string; to: string } }>(
    "/log/proof/consistency",
    {
      schema: {
        summary: "RFC 9162 consistency proof between tree sizes `from` and `to`",
        querystring: {
          type: "object",
          additionalProperties: false,
          required: ["from", "to"],
          properties: { from: SIZE, to: SIZE },
        },
        response: {
          200: {
            type: "object",
            required: ["from", "to", "proof"],
            properties: { from: { type: "integer" }, to: { type: "integer" }, proof: proofSchema },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const from = Number(request.query.from);
      const to = Number(request.query.to);
      return { from, to, proof: b64(await requireLog(opts.log).consistencyProof(from, to)) };
    },
  );

  app.get<{ Params: { index: string } }>(
    "/log/receipt/:index",
    {
      schema: {
        summary: "Offline-verifiable receipt: the event, its inclusion proof and the checkpoint",
        params: { type: "object", required: ["index"], properties: { index: SIZE } },
        response: {
          200: {
            type: "object",
            required: ["index", "treeSize", "event", "proof", "checkpoint"],
            properties: {
              index: { type: "integer" },
              treeSize: { type: "integer" },
              event: auditEventSchema,
              proof: proofSchema,
              checkpoint: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const log = requireLog(opts.log);
      const index = Number(request.params.index);
      const [event] = await opts.store.readAuditEvents(index, 1);
      if (!event) throw new SignerError("ERR_NOT_FOUND", `no audit event ${index}`);
      let cp = await log.latest();
      // A fresh event may not be covered yet: issue the checkpoint now rather than make the caller poll.
      if (!cp || cp.size <= index) cp = await log.checkpoint();
      if (cp.size <= index)
        throw new SignerError("ERR_CONFLICT", "the event is not covered by a checkpoint yet");
      const proof = b64(await log.inclusionProof(index, cp.size));
      return { index, treeSize: cp.size, event, proof, checkpoint: cp.note };
    },
  );
}
