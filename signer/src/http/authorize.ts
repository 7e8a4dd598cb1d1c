import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../auth/principal.js";
import { type RouteRule, routeRule } from "../auth/route-permissions.js";
import { SignerError } from "../errors.js";
import { principalOf } from "./authenticate.js";

/** Options of the route guard. */
export interface AuthorizeOptions {
  /** Called before a 403 is returned (every denial is an audit event). */
  readonly onDenied?: (
    request: FastifyRequest,
    principal: Principal,
    rule: RouteRule,
    error: SignerError,
  ) => Promise<void>;
}

/**
 * Enforce ROUTE_RULES on every main-port route. Registration fails for a route without a rule, so a
 * new route cannot be reachable by omission; at run time the check happens before the body is
 * parsed or validated, so a principal without the permission learns nothing about the schema.
 */
export function installAuthorization(app: FastifyInstance, options: AuthorizeOptions = {}): void {
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!routeRule(method, route.url)) {
        throw new Error(
          `route ${method} ${route.url} has no entry in ROUTE_RULES (signer/src/auth/route-permissions.ts); every main-port route must declare its permission`,
        );
      }
    }
  });
  app.addHook("preParsing", async (request, _reply, payload) => {
    const url = request.routeOptions.url;
    // No route matched: the not-found handler answers 404 and exposes nothing.
    if (url === undefined) return payload;
    const rule = routeRule(request.method, url);
    const principal = principalOf(request);
    // Fail closed: an unlisted route (impossible after onRoute) is denied, not allowed.
    if (rule && (rule.anyOf.length === 0 || rule.anyOf.some((p) => principal.permissions.has(p)))) {
      return payload;
    }
    const needs = rule?.anyOf.join(" or ") ?? "a route rule";
    const error = new SignerError("ERR_FORBIDDEN", `principal ${principal.id} lacks ${needs}`.slice(0, 200));
    if (rule) {
      await options.onDenied?.(request, principal, rule, error).catch((err: unknown) => {
        request.log.error({ err }, "could not audit an authorization denial");
      });
    }
    throw error;
  });
}
