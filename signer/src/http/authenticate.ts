import type { TLSSocket } from "node:tls";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { apiKeyMatches, presentedApiKey } from "../auth/api-key.js";
import { certIdentity, type Principal, type PrincipalResolver } from "../auth/principal.js";
import type { Secret } from "../config/secret.js";
import { SignerError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Options for the authentication hook. */
export interface AuthOptions {
  readonly principals: PrincipalResolver;
  /** SIGNING_PROXY_API_KEY: when set, every request must also carry it. */
  readonly sharedApiKey: Secret | undefined;
  /** Called before an authentication refusal is returned (the signing routes audit it). */
  readonly onRefused?: (request: FastifyRequest, who: string, error: SignerError) => Promise<void>;
}

/** The principal of an authenticated request (set by the hook); throws if the route ran unauthenticated. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SignerError("ERR_UNAUTHENTICATED", "not authenticated");
  return request.principal;
}

/**
 * Authenticate every request on the main port: the TLS layer already required a client certificate
 * chaining to TLS_CLIENT_CA_FILE; here its identity must map to a configured principal, and the API
 * key second factor must match when one is required.
 */
export function installAuthentication(app: FastifyInstance, options: AuthOptions): void {
  const refuse = async (request: FastifyRequest, who: string, message: string): Promise<SignerError> => {
    const error = new SignerError("ERR_UNAUTHENTICATED", message);
    await options.onRefused?.(request, who.slice(0, 128), error).catch((err: unknown) => {
      request.log.error({ err }, "could not audit an authentication refusal");
    });
    return error;
  };
  // A TLS 1.3 connection's client certificate cannot change (no renegotiation), so its principal is
  // resolved once per connection; getPeerCertificate() alone cost ~4% of a signing request's CPU.
  const byConnection = new WeakMap<TLSSocket, Principal | null>();
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const socket = request.raw.socket as TLSSocket;
    // Defence in depth: the server refuses unverified certs at the handshake; re-check per request.
    if (typeof socket.getPeerCertificate !== "function" || !socket.authorized) {
      throw new SignerError(
        "ERR_UNAUTHENTICATED",
        "a client certificate signed by the trusted CA is required",
      );
    }
    let principal = byConnection.get(socket);
    if (principal === undefined) {
      principal = options.principals.resolve(certIdentity(socket.getPeerCertificate()));
      byConnection.set(socket, principal);
    }
    if (!principal) {
      const cn = certIdentity(socket.getPeerCertificate()).cn ?? "?";
      throw await refuse(request, `cert:${cn}`, "the client certificate identity is not a known principal");
    }
    if (options.sharedApiKey || principal.requireApiKey) {
      const presented = presentedApiKey(request.headers);
      const expected = options.sharedApiKey?.reveal();
      // A missing or wrong API key is refused even though the certificate was valid (second factor).
      if (!expected || !apiKeyMatches(presented, expected)) {
        throw await refuse(
          request,
          principal.id,
          "a valid API key is required in addition to the client certificate",
        );
      }
    }
    request.principal = principal;
  });
}
