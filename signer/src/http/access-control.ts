import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditLog } from "../audit/audit-log.js";
import { OidcVerifier } from "../auth/oidc.js";
import type { PeerTrust } from "../auth/peer-trust.js";
import type { PrincipalResolver } from "../auth/principal.js";
import { routeRule } from "../auth/route-permissions.js";
import type { Config } from "../config/types.js";
import type { Store } from "../store/store.js";
import { installAuthentication } from "./authenticate.js";
import { installAuthorization } from "./authorize.js";
import { installLoadShedding } from "./load-shedding.js";
import { installRateLimit } from "./rate-limit.js";

/** What the main port's access control is built from. */
export interface AccessControlDeps {
  readonly config: Config;
  readonly principals: PrincipalResolver;
  /** Issued API keys are read from here on every request. */
  readonly store: Pick<Store, "getApiKey">;
  readonly audit: AuditLog;
  readonly trust?: PeerTrust;
}

async function recordRefusal(
  audit: AuditLog,
  request: FastifyRequest,
  principal: string,
  op: string,
  code: string,
): Promise<void> {
  await audit.record([
    {
      principal,
      op,
      kid: null,
      alg: null,
      digestHex: null,
      result: `refused:${code}`,
      requestId: request.id,
    },
  ]);
}

/**
 * Install, in this order, the main port's request pipeline before any route exists:
 * shed load (503) → authenticate (mTLS identity, revocation, second factors; 401) →
 * rate limit per principal and route (429) → authorize the route (403) → parse → validate → handler.
 * Must run before the routes are registered, so every route gets the hooks and is checked for a rule.
 */
export async function installAccessControl(app: FastifyInstance, deps: AccessControlDeps): Promise<void> {
  const { config, audit } = deps;
  installLoadShedding(app, config.http.maxInflight);
  installAuthentication(app, {
    principals: deps.principals,
    sharedApiKey: config.apiKey,
    apiKeys: deps.store,
    oidc: config.oidc ? new OidcVerifier(config.oidc) : undefined,
    ...(deps.trust ? { trust: deps.trust } : {}),
    onRefused: async (request, who, error) => {
      const rule = routeRule(request.method, request.routeOptions.url ?? "");
      // Refused attempts to obtain a signature are part of the audit trail.
      if (rule?.op.startsWith("sign.")) await recordRefusal(audit, request, who, rule.op, error.code);
    },
  });
  await installRateLimit(app);
  installAuthorization(app, {
    // Every authorization denial, on any route, is recorded with the route's op.
    onDenied: (request, principal, rule, error) =>
      recordRefusal(audit, request, principal.id, rule.op, error.code),
  });
}
