import type { FastifyInstance, FastifyRequest } from "fastify";
import { GENESIS_HASH } from "../audit/event.js";
import { AUDIT_EVENT_FIELDS } from "../audit/verify-event-shape.js";
import { SignerError } from "../errors.js";
import { principalOf } from "../http/authenticate.js";
import type { Store } from "../store/store.js";
import { errorResponses } from "./schemas.js";

/** Options of the audit read routes. */
export interface AuditRoutesOptions {
  readonly store: Store;
  readonly maxPage?: number;
}

/** Response schema of one A6 audit event (also used by /log/receipt). */
export const auditEventSchema = {
  type: "object",
  required: [...AUDIT_EVENT_FIELDS],
  properties: {
    seq: { type: "integer" },
    ts: { type: "string" },
    principal: { type: "string" },
    op: { type: "string" },
    kid: { type: ["string", "null"] },
    alg: { type: ["string", "null"] },
    digestHex: { type: ["string", "null"] },
    result: { type: "string" },
    requestId: { type: "string" },
    auditKid: { type: "string" },
    prevHash: { type: "string" },
    hash: { type: "string" },
    signature: { type: ["string", "null"] },
  },
} as const;

function requireAuditRead(request: FastifyRequest): void {
  const principal = principalOf(request);
  // The log names every principal and digest: only auditors and admins may read it.
  if (!principal.permissions.has("audit:read")) {
    throw new SignerError("ERR_FORBIDDEN", `principal ${principal.id} lacks audit:read`);
  }
}

/** GET /audit/head and /audit/events (Auditor, DivisionLead, SuperAdmin). */
export async function auditRoutes(app: FastifyInstance, opts: AuditRoutesOptions): Promise<void> {
  const maxPage = opts.maxPage ?? 1000;
  app.get(
    "/audit/head",
    {
      schema: {
        summary: "The last committed audit event (seq -1 and 64 zeros for an empty log)",
        response: {
          200: {
            type: "object",
            required: ["seq", "hash"],
            properties: { seq: { type: "integer" }, hash: { type: "string" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      requireAuditRead(request);
      const head = await opts.store.auditHead();
      return head ?? { seq: -1, hash: GENESIS_HASH };
    },
  );

  app.get<{ Querystring: { fromSeq?: string; limit?: string } }>(
    "/audit/events",
    {
      schema: {
        summary: "Audit events from fromSeq (default 0), at most limit (default 100, max 1000)",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            fromSeq: { type: "string", pattern: "^[0-9]{1,15}$" },
            limit: { type: "string", pattern: "^[0-9]{1,4}$" },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["events", "nextSeq"],
            properties: { events: { type: "array", items: auditEventSchema }, nextSeq: { type: "integer" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      requireAuditRead(request);
      const fromSeq = Number(request.query.fromSeq ?? "0");
      const limit = Number(request.query.limit ?? "100");
      if (limit < 1 || limit > maxPage)
        throw new SignerError("ERR_VALIDATION", `limit must be 1..${maxPage}`);
      const events = await opts.store.readAuditEvents(fromSeq, limit);
      const last = events[events.length - 1];
      return { events, nextSeq: last ? last.seq + 1 : fromSeq };
    },
  );
}
