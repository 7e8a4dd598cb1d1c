import type { FastifyBaseLogger } from "fastify";
import { apiKeyMatches } from "../auth/api-key.js";
import { type ApiKeyLookup, checkIssuedKey, restrictPrincipal } from "../auth/api-key-scope.js";
import { API_KEY_PREFIX } from "../auth/api-key-token.js";
import { OidcError, type OidcVerifier } from "../auth/oidc.js";
import { permissionsOf } from "../auth/permissions.js";
import type { Principal } from "../auth/principal.js";
import type { Secret } from "../config/secret.js";
import { SignerError } from "../errors.js";

/** What the second factors on top of the client certificate are checked with. */
export interface SecondFactorOptions {
  /** SIGNING_PROXY_API_KEY: when set, every request must also carry it. */
  readonly sharedApiKey: Secret | undefined;
  /** Issued API keys, read from the store on every request. */
  readonly apiKeys: ApiKeyLookup | undefined;
  /** Operators' bearer tokens, for principals with `oidc: true`. */
  readonly oidc: OidcVerifier | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function bearerOf(headers: Headers): string | undefined {
  const auth = header(headers, "authorization");
  return auth?.startsWith("Bearer ") ? auth.slice(7).trim() || undefined : undefined;
}

const unauthenticated = (message: string) => new SignerError("ERR_UNAUTHENTICATED", message);

/** Replace the certificate's roles by the token's, capped by the certificate's (mTLS stays the outer bound). */
async function withOperatorToken(
  principal: Principal,
  token: string | undefined,
  verifier: OidcVerifier | undefined,
  log: FastifyBaseLogger,
): Promise<Principal> {
  if (!verifier) throw unauthenticated("bearer tokens are not configured");
  // Operators authenticate twice: the device certificate and a token from the identity provider.
  if (token === undefined) throw unauthenticated("an OIDC bearer token is required for this principal");
  let identity: Awaited<ReturnType<OidcVerifier["verify"]>>;
  try {
    identity = await verifier.verify(token);
  } catch (err) {
    if (!(err instanceof OidcError)) throw err;
    log.info({ reason: err.detail }, "bearer token refused");
    if (err.kind === "unavailable") {
      throw new SignerError("ERR_BACKEND_UNAVAILABLE", "the identity provider's keys are unavailable", {
        cause: err,
      });
    }
    throw unauthenticated("the bearer token is not valid");
  }
  const roles = identity.roles.filter((r) => principal.roles.includes(r));
  // A valid token that maps to no role this certificate may hold grants nothing.
  if (roles.length === 0) {
    throw new SignerError("ERR_FORBIDDEN", "the bearer token grants no role allowed for this certificate");
  }
  return {
    ...principal,
    id: `${principal.id}/${identity.subject}`,
    roles,
    permissions: permissionsOf(roles),
  };
}

/**
 * Check the factors a request carries on top of its certificate: the operator token (principals with
 * `oidc`), the shared SIGNING_PROXY_API_KEY, and an issued API key (required with `requireApiKey`).
 * Returns the principal as the request may act: an issued key narrows its permissions and kids.
 */
export async function applySecondFactors(
  headers: Headers,
  principal: Principal,
  options: SecondFactorOptions,
  log: FastifyBaseLogger,
): Promise<Principal> {
  const bearer = bearerOf(headers);
  const xApiKey = header(headers, "x-api-key");
  let effective = principal;
  let candidates: string[];
  if (principal.oidc) {
    effective = await withOperatorToken(principal, bearer, options.oidc, log);
    // The bearer slot holds the token, so API keys come only in x-api-key.
    candidates = xApiKey === undefined ? [] : [xApiKey];
  } else {
    candidates = [xApiKey, bearer].filter((v): v is string => v !== undefined);
  }
  const shared = options.sharedApiKey?.reveal();
  // The shared key is a second factor for everyone when set; a valid certificate alone is not enough.
  if (shared && !candidates.some((c) => apiKeyMatches(c, shared))) {
    throw unauthenticated("a valid API key is required in addition to the client certificate");
  }
  const issued = candidates.find(
    (c) => c.startsWith(API_KEY_PREFIX) && !(shared && apiKeyMatches(c, shared)),
  );
  if (issued === undefined) {
    // requireApiKey: this principal's certificate alone (or with the shared key) is not enough.
    if (principal.requireApiKey) throw unauthenticated("this principal must present one of its API keys");
    return effective;
  }
  if (!options.apiKeys) throw unauthenticated("API keys are not available");
  const check = await checkIssuedKey(options.apiKeys, issued, principal.id, new Date());
  // A presented key that is wrong, revoked, expired or someone else's is refused, never ignored.
  if (!check.ok) {
    log.info({ reason: check.reason }, "API key refused");
    throw unauthenticated("the API key is not valid for this principal");
  }
  return restrictPrincipal(effective, check.record);
}
