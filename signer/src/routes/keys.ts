import { createPublicKey } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { ALGORITHMS } from "../algorithms.js";
import { SignerError } from "../errors.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { KeyRecord } from "../store/store.js";
import { errorResponses, keyRecordSchema, kidSchema } from "./schemas.js";

/** Options of the public key routes. */
export interface KeyRoutesOptions {
  readonly registry: KeyRegistry;
  /** Main port: require keys:read. Management port: public. */
  readonly requirePermission: boolean;
}

/** A registry record in the signers.json shape of DESIGN.md A5. */
export function signerEntry(record: KeyRecord): Record<string, string> {
  return {
    signer_kid: record.kid,
    algorithm: record.alg,
    ...(record.publicKeyPem ? { public_key_pem: record.publicKeyPem } : {}),
    deployedAt: record.deployedAt,
    description: record.description,
    status: record.status,
  };
}

/** A JWK for an asymmetric, non-revoked record; null otherwise. */
export function jwkOf(record: KeyRecord): Record<string, unknown> | null {
  if (!record.publicKeyPem || record.status === "revoked") return null;
  const jwk = createPublicKey(record.publicKeyPem).export({ format: "jwk" });
  return { ...jwk, kid: record.kid, use: "sig", alg: ALGORITHMS[record.alg].jwsAlg };
}

/** GET /keys, /keys/:kid and /.well-known/jwks.json. */
export async function keyRoutes(app: FastifyInstance, opts: KeyRoutesOptions): Promise<void> {
  const guard = async (request: { principal?: { permissions: ReadonlySet<string>; id: string } | null }) => {
    if (!opts.requirePermission) return;
    const principal = request.principal;
    if (!principal?.permissions.has("keys:read")) {
      throw new SignerError("ERR_FORBIDDEN", "keys:read is required");
    }
  };
  const signersSchema = {
    type: "object",
    required: ["signers"],
    properties: { signers: { type: "array", items: keyRecordSchema } },
  };

  app.get(
    "/keys",
    {
      schema: {
        summary: "Published keys (signers.json shape)",
        response: { 200: signersSchema, ...errorResponses },
      },
    },
    async (request) => {
      await guard(request);
      return { signers: (await opts.registry.list()).map(signerEntry) };
    },
  );

  app.get<{ Params: { kid: string } }>(
    "/keys/:kid",
    {
      schema: {
        summary: "One published key",
        params: { type: "object", required: ["kid"], properties: { kid: kidSchema } },
        response: { 200: keyRecordSchema, ...errorResponses },
      },
    },
    async (request) => {
      await guard(request);
      return signerEntry(await opts.registry.get(request.params.kid));
    },
  );

  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        summary: "JWKS of the asymmetric, non-revoked keys",
        response: {
          200: {
            type: "object",
            required: ["keys"],
            properties: { keys: { type: "array", items: { type: "object", additionalProperties: true } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await guard(request);
      const keys = (await opts.registry.list()).map(jwkOf).filter((k) => k !== null);
      return { keys };
    },
  );
}
