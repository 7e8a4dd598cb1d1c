import type { FastifyInstance } from "fastify";
import type { AuditLog } from "../audit/audit-log.js";
import { SignerError } from "../errors.js";
import { principalOf } from "../http/authenticate.js";
import type { Metrics } from "../observability/metrics.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import { digestHexSchema, errorResponses, kidSchema } from "./schemas.js";
import { digestOfPayload } from "./sign.js";

/** Options of the verify route. */
export interface VerifyRoutesOptions {
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly canonicalMaxBytes: number;
  readonly canonicalMaxDepth: number;
}

interface VerifyBody {
  kid: string;
  signature: string;
  digestHex?: string;
  payload?: unknown;
}

/** POST /verify: an invalid signature is a 200 with valid:false. */
export async function verifyRoutes(app: FastifyInstance, opts: VerifyRoutesOptions): Promise<void> {
  app.post<{ Body: VerifyBody }>(
    "/verify",
    {
      schema: {
        summary: "Verify a signature made by a registered key over a digest or a canonical payload",
        body: {
          type: "object",
          required: ["kid", "signature"],
          additionalProperties: false,
          properties: {
            kid: kidSchema,
            signature: { type: "string", minLength: 1, maxLength: 2048, pattern: "^[A-Za-z0-9+/_-]+={0,2}$" },
            digestHex: digestHexSchema,
            payload: {},
          },
        },
        response: {
          200: {
            type: "object",
            required: ["valid", "kid", "alg"],
            properties: { valid: { type: "boolean" }, kid: { type: "string" }, alg: { type: "string" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!principal.permissions.has("verify")) {
        throw new SignerError("ERR_FORBIDDEN", `principal ${principal.id} lacks verify`);
      }
      const body = request.body;
      // Exactly one of digestHex and payload: a request naming both is ambiguous.
      if ((body.digestHex === undefined) === (body.payload === undefined)) {
        throw new SignerError("ERR_VALIDATION", "give exactly one of digestHex and payload");
      }
      const digestHex = (body.digestHex ?? digestOfPayload(body.payload, opts)).toLowerCase();
      const signature = Buffer.from(body.signature, "base64");
      const { valid, alg } = await opts.registry.verify(body.kid, Buffer.from(digestHex, "hex"), signature);
      opts.metrics.verifyTotal.inc({ alg, result: valid ? "valid" : "invalid" });
      await opts.audit.record([
        {
          principal: principal.id,
          op: "verify",
          kid: body.kid,
          alg,
          digestHex,
          result: valid ? "valid" : "invalid",
          requestId: request.id,
        },
      ]);
      return { valid, kid: body.kid, alg };
    },
  );
}
