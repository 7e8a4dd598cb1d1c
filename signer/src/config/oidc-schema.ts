import { z } from "zod";
import { ROLES } from "../algorithms.js";
import type { OidcConfig } from "./types.js";

/**
 * JWS algorithms an identity provider may sign operator tokens with. Symmetric (HS*) and `none`
 * are absent on purpose: a token must be verifiable with the provider's public JWKS only.
 */
export const OIDC_ALGORITHMS = Object.freeze([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const);

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** What is wrong with a JWKS URI, or undefined: https, or plain http to a loopback address (tests). */
export function jwksUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "expected an absolute https:// URL";
  }
  // Keys fetched over plain HTTP could be swapped by anyone on the path; only loopback is exempt.
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK.has(url.hostname)) return undefined;
  return "expected an https:// URL (plain http only to 127.0.0.1, ::1 or localhost)";
}

const ClaimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: "expected a claim name" });

/** The `oidc` block of SIGNER_CONFIG: how bearer tokens of human operators are verified. */
export const OidcSchema = z.strictObject({
  issuer: z.string().min(1).max(1024),
  audience: z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1)]),
  jwksUri: z.string().superRefine((uri, ctx) => {
    const problem = jwksUriProblem(uri);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
  algorithms: z.array(z.enum(OIDC_ALGORITHMS)).min(1).default(["RS256", "PS256", "ES256", "EdDSA"]),
  /** Claims that must be present in addition to exp, iat and the subject claim. */
  requiredClaims: z.array(ClaimName).default([]),
  /** Dotted path of the claim holding the caller's roles or groups (a string or an array of strings). */
  roleClaim: ClaimName.default("roles"),
  /** Claim value → role. Values not listed grant nothing. */
  roleMap: z.record(z.string().min(1).max(256), z.enum(ROLES)),
  subjectClaim: ClaimName.default("sub"),
  clockToleranceSec: z.int().min(0).max(300).default(30),
  /** Tokens issued (iat) longer ago than this are refused even if not yet expired. */
  maxTokenAgeSec: z.int().min(60).max(86_400).default(3600),
  jwksCacheMaxAgeMs: z.int().min(1000).max(86_400_000).default(600_000),
  jwksCooldownMs: z.int().min(0).max(3_600_000).default(30_000),
  jwksTimeoutMs: z.int().min(100).max(60_000).default(5000),
});

/** The parsed block, defaults applied, as the frozen Config carries it. */
export function toOidcConfig(parsed: z.output<typeof OidcSchema>): OidcConfig {
  return {
    issuer: parsed.issuer,
    audience: typeof parsed.audience === "string" ? [parsed.audience] : parsed.audience,
    jwksUri: parsed.jwksUri,
    algorithms: parsed.algorithms,
    requiredClaims: parsed.requiredClaims,
    roleClaim: parsed.roleClaim,
    roleMap: parsed.roleMap,
    subjectClaim: parsed.subjectClaim,
    clockToleranceSec: parsed.clockToleranceSec,
    maxTokenAgeSec: parsed.maxTokenAgeSec,
    jwksCacheMaxAgeMs: parsed.jwksCacheMaxAgeMs,
    jwksCooldownMs: parsed.jwksCooldownMs,
    jwksTimeoutMs: parsed.jwksTimeoutMs,
  };
}
