import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { PeerTrust, PeerVerdict } from "../auth/peer-trust.js";
import { certIdentity, type Principal, type PrincipalResolver } from "../auth/principal.js";
import { SignerError } from "../errors.js";
import { applySecondFactors, type SecondFactorOptions } from "./second-factor.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Options for the authentication hook. */
export interface AuthOptions extends SecondFactorOptions {
  readonly principals: PrincipalResolver;
  /** The CA/CRL state SIGHUP reloads; connections opened before a reload are re-checked against it. */
  readonly trust?: PeerTrust;
  /** Called before an authentication refusal is returned (the signing routes audit it). */
  readonly onRefused?: (request: FastifyRequest, who: string, error: SignerError) => Promise<void>;
}

/** The principal of an authenticated request (set by the hook); throws if the route ran unauthenticated. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SignerError("ERR_UNAUTHENTICATED", "not authenticated");
  return request.principal;
}

/** What a connection's certificate resolved to, under one generation of the trust material. */
interface ConnectionState {
  readonly principal: Principal | null;
  readonly verdict: PeerVerdict;
  readonly generation: number;
  readonly cn: string;
}

const VERDICT_MESSAGES: Readonly<Record<Exclude<PeerVerdict, "ok">, string>> = Object.freeze({
  revoked: "the client certificate has been revoked",
  untrusted: "the client certificate is no longer signed by a trusted CA",
});

/**
 * Authenticate every request on the main port: the TLS layer already required a client certificate
 * chaining to TLS_CLIENT_CA_FILE; here its identity must map to a configured principal, it must not
 * have been revoked since the handshake, and the second factors must hold (see second-factor.ts).
 */
export function installAuthentication(app: FastifyInstance, options: AuthOptions): void {
  const refuse = async (request: FastifyRequest, who: string, error: SignerError): Promise<SignerError> => {
    await options.onRefused?.(request, who.slice(0, 128), error).catch((err: unknown) => {
      request.log.error({ err }, "could not audit an authentication refusal");
    });
    return error;
  };
  // A TLS 1.3 connection's client certificate cannot change (no renegotiation), so its principal is
  // resolved once per connection; getPeerCertificate() alone cost ~4% of a signing request's CPU.
  // The entry is redone when the trust generation moves (SIGHUP), so a revocation reaches open connections.
  const byConnection = new WeakMap<TLSSocket, ConnectionState>();
  const resolve = (socket: TLSSocket): ConnectionState => {
    const generation = options.trust?.generation ?? 0;
    const cached = byConnection.get(socket);
    if (cached?.generation === generation) return cached;
    // Before any reload the handshake itself checked exactly the current CA and CRL.
    const recheck = generation > 0 && options.trust !== undefined;
    const peer = recheck ? socket.getPeerCertificate(true) : socket.getPeerCertificate();
    const verdict = recheck ? (options.trust?.check(peer as DetailedPeerCertificate) ?? "ok") : "ok";
    const identity = certIdentity(peer);
    const principal = verdict === "ok" ? options.principals.resolve(identity) : null;
    const state = { principal, verdict, generation, cn: identity.cn ?? "?" };
    byConnection.set(socket, state);
    return state;
  };
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request, reply) => {
    const socket = request.raw.socket as TLSSocket;
    // Defence in depth: the server refuses unverified certs at the handshake; re-check per request.
    if (typeof socket.getPeerCertificate !== "function" || !socket.authorized) {
      throw new SignerError(
        "ERR_UNAUTHENTICATED",
        "a client certificate signed by the trusted CA is required",
      );
    }
    const state = resolve(socket);
    if (state.verdict !== "ok") {
      // The connection itself is no longer trusted: answer once, then close it.
      reply.header("connection", "close");
      const error = new SignerError("ERR_UNAUTHENTICATED", VERDICT_MESSAGES[state.verdict]);
      throw await refuse(request, `cert:${state.cn}`, error);
    }
    if (!state.principal) {
      const error = new SignerError(
        "ERR_UNAUTHENTICATED",
        "the client certificate identity is not a known principal",
      );
      throw await refuse(request, `cert:${state.cn}`, error);
    }
    try {
      request.principal = await applySecondFactors(request.headers, state.principal, options, request.log);
    } catch (err) {
      if (err instanceof SignerError && (err.status === 401 || err.status === 403)) {
        throw await refuse(request, state.principal.id, err);
      }
      throw err;
    }
  });
}
