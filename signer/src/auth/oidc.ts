import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import type { Role } from "../algorithms.js";
import type { OidcConfig } from "../config/types.js";

/** A verified operator token: who, and which roles the identity provider grants. */
export interface OidcIdentity {
  readonly subject: string;
  readonly roles: readonly Role[];
}

/** Why a token was not accepted: the token itself (401) or the identity provider's keys (503). */
export class OidcError extends Error {
  readonly kind: "invalid" | "unavailable";
  /** jose's error code, for the log. */
  readonly detail: string;
  constructor(kind: "invalid" | "unavailable", detail: string, options?: { cause?: unknown }) {
    super(kind === "invalid" ? "invalid bearer token" : "identity provider keys unavailable", options);
    this.name = "OidcError";
    this.kind = kind;
    this.detail = detail;
  }
}

/** Tokens longer than this are refused before any parsing (operator tokens are a few hundred bytes). */
export const MAX_TOKEN_CHARS = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SUBJECT = /^[\x21-\x7e]{1,200}$/;
// Fetching or parsing the JWKS failed, rather than the token being bad.
const UNAVAILABLE_CODES = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

/** True for the compact JWS shape; anything else in `Authorization: Bearer` is not a token. */
export function looksLikeJwt(value: string): boolean {
  return value.length <= MAX_TOKEN_CHARS && JWT_SHAPE.test(value);
}

/** Verifies operators' bearer tokens with jose against the configured issuer's JWKS (cached, refreshed). */
export class OidcVerifier {
  readonly #config: OidcConfig;
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(config: OidcConfig) {
    this.#config = config;
    // jose caches the key set for jwksCacheMaxAgeMs and refetches early (at most once per cooldown)
    // when a token names a kid it does not know, so a key rotation at the provider is picked up.
    this.#jwks = createRemoteJWKSet(new URL(config.jwksUri), {
      cacheMaxAge: config.jwksCacheMaxAgeMs,
      cooldownDuration: config.jwksCooldownMs,
      timeoutDuration: config.jwksTimeoutMs,
    });
  }

  /** Verify signature, issuer, audience, algorithm, expiry, age and required claims; map roles. */
  async verify(token: string): Promise<OidcIdentity> {
    if (!looksLikeJwt(token)) throw new OidcError("invalid", "not a compact JWS");
    const c = this.#config;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer: c.issuer,
        audience: [...c.audience],
        // An allow-list: no `none`, no HMAC with a public key as secret, no algorithm the token picks.
        algorithms: [...c.algorithms],
        clockTolerance: c.clockToleranceSec,
        maxTokenAge: c.maxTokenAgeSec,
        requiredClaims: [...new Set(["exp", "iat", c.subjectClaim, ...c.requiredClaims])],
      }));
    } catch (err) {
      const code = err instanceof errors.JOSEError ? err.code : "fetch-failed";
      const unavailable = !(err instanceof errors.JOSEError) || UNAVAILABLE_CODES.has(code);
      throw new OidcError(unavailable ? "unavailable" : "invalid", code, { cause: err });
    }
    const subject = payload[c.subjectClaim];
    // The subject names the operator in the audit log: it must be a short printable string.
    if (typeof subject !== "string" || !SUBJECT.test(subject)) {
      throw new OidcError("invalid", `claim ${c.subjectClaim} is not a printable string`);
    }
    return { subject, roles: mapRoles(claimAt(payload, c.roleClaim), c.roleMap) };
  }
}

/** The value at a dotted claim path (`realm_access.roles`), or undefined. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    // Own properties only: a claim named "__proto__" or "constructor" must not reach the prototype.
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Claim values (a string or an array of strings) mapped through `roleMap`; unmapped values grant nothing. */
export function mapRoles(claim: unknown, roleMap: Readonly<Record<string, Role>>): Role[] {
  const values = typeof claim === "string" ? [claim] : Array.isArray(claim) ? claim : [];
  const roles = new Set<Role>();
  for (const v of values) {
    if (typeof v === "string" && Object.hasOwn(roleMap, v)) roles.add(roleMap[v]!);
  }
  return [...roles];
}
