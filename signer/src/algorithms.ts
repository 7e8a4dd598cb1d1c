/** The signature algorithms of DESIGN.md A4, described once. */
export const ALGORITHMS = Object.freeze({
  ed25519: { asymmetric: true, jwkKty: "OKP", jwsAlg: "EdDSA" },
  "ecdsa-sha256": { asymmetric: true, jwkKty: "EC", jwsAlg: "ES256" },
  "rsa-sha256": { asymmetric: true, jwkKty: "RSA", jwsAlg: "RS256" },
  "hmac-sha256": { asymmetric: false, jwkKty: "oct", jwsAlg: "HS256" },
} as const);

/** A signature algorithm name as used in config, API and audit events. */
export type Alg = keyof typeof ALGORITHMS;

/** All algorithm names, in a stable order. */
export const ALG_NAMES = Object.freeze(Object.keys(ALGORITHMS) as Alg[]);

/** Narrow an unknown string to an Alg. */
export function isAlg(value: unknown): value is Alg {
  return typeof value === "string" && Object.hasOwn(ALGORITHMS, value);
}

/** Key lifecycle states (DESIGN.md A5). */
export const KEY_STATUSES = Object.freeze(["active", "candidate", "retired", "revoked"] as const);
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Roles a principal can hold (DESIGN.md A3). */
export const ROLES = Object.freeze(["SuperAdmin", "DivisionLead", "Operator", "Auditor", "service"] as const);
export type Role = (typeof ROLES)[number];
