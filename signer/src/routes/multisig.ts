import type { FastifyInstance } from "fastify";
import type { AuditLog } from "../audit/audit-log.js";
import type { Config } from "../config/types.js";
import { principalOf } from "../http/authenticate.js";
import { MultisigCoordinator } from "../multisig/coordinator.js";
import {
  approveBodySchema,
  proofSchema,
  proposalCreatedSchema,
  proposalParamsSchema,
  proposalViewSchema,
  proposeBodySchema,
  verifyBodySchema,
  verifyResultSchema,
} from "../multisig/http-schemas.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { Store } from "../store/store.js";
import { errorResponses } from "./schemas.js";

/** Options of the multisig routes. */
export interface MultisigRoutesOptions {
  readonly config: Pick<Config, "multisig" | "auditKid">;
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly audit: AuditLog;
  /** The clock (tests move it). */
  readonly now?: () => Date;
}

type IdParams = { Params: { id: string } };

/**
 * The multisig routes (DESIGN.md A5). Registration validates the policies against the registry,
 * so a bad policy (e.g. two signers sharing one public key) refuses start-up.
 */
export async function multisigRoutes(app: FastifyInstance, opts: MultisigRoutesOptions): Promise<void> {
  const coordinator = await MultisigCoordinator.create({
    policies: opts.config.multisig.policies,
    store: opts.store,
    registry: opts.registry,
    audit: opts.audit,
    ...(opts.config.auditKid !== undefined ? { protectedKids: [opts.config.auditKid] } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });

  app.post<{ Body: { policy: string; manifest: Record<string, unknown> } }>(
    "/multisig/proposals",
    {
      schema: {
        summary: "Propose a manifest for M-of-N approval under a configured policy",
        body: proposeBodySchema,
        response: { 201: proposalCreatedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { policy, manifest } = request.body;
      const created = await coordinator.propose(principalOf(request), policy, manifest, request.id);
      return reply.code(201).send(created);
    },
  );

  app.get<IdParams>(
    "/multisig/proposals/:id",
    {
      schema: {
        summary: "A proposal with its status and approvals",
        params: proposalParamsSchema,
        response: { 200: proposalViewSchema, ...errorResponses },
      },
    },
    async (request) => coordinator.get(principalOf(request), request.params.id),
  );

  app.post<IdParams & { Body: { kid: string; signature?: string } }>(
    "/multisig/proposals/:id/approvals",
    {
      schema: {
        summary: "Approve with a kid the caller owns: the proxy signs, or a detached signature is checked",
        params: proposalParamsSchema,
        body: approveBodySchema,
        response: { 201: proposalViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const view = await coordinator.approve(
        principalOf(request),
        request.params.id,
        request.body,
        request.id,
      );
      return reply.code(201).send(view);
    },
  );

  app.get<IdParams>(
    "/multisig/proposals/:id/proof",
    {
      schema: {
        summary: "The frozen proof of an approved proposal (409 until approved)",
        params: proposalParamsSchema,
        response: { 200: proofSchema, ...errorResponses },
      },
    },
    async (request) => coordinator.proof(principalOf(request), request.params.id, request.id),
  );

  app.post<{ Body: { proof: unknown } }>(
    "/multisig/verify",
    {
      schema: {
        summary: "Verify a proof against the trusted policy it names (threshold never from the proof)",
        body: verifyBodySchema,
        response: { 200: verifyResultSchema, ...errorResponses },
      },
    },
    async (request) => coordinator.verify(principalOf(request), request.body.proof, request.id),
  );
}
