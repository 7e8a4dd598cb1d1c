import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Prefix of issued API keys; lets scanners (and people) recognise a leaked one. */
export const API_KEY_PREFIX = "spk_";

const ID_BYTES = 8;
const SECRET_BYTES = 32;
const ISSUED = /^spk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A freshly generated key: the string shown once, its public id, and the hash the store keeps. */
export interface NewApiKey {
  readonly id: string;
  readonly key: string;
  readonly keyHash: string;
}

/**
 * Generate `spk_<16 hex id>_<43 base64url chars>`: 256 random bits of secret. Because the secret is
 * uniformly random and that long, a plain SHA-256 of it is as hard to invert as guessing the key;
 * a slow password KDF (scrypt, argon2) protects low-entropy passwords and would only add latency to
 * every request here.
 */
export function generateApiKey(): NewApiKey {
  const id = randomBytes(ID_BYTES).toString("hex");
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(SECRET_BYTES).toString("base64url")}`;
  return { id, key, keyHash: hashApiKey(key) };
}

/** Lowercase hex SHA-256 of the whole key string (the id is bound into the hash). */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The id of an issued-format key, or undefined for anything else (e.g. the shared key). */
export function issuedKeyId(presented: string): string | undefined {
  return ISSUED.exec(presented)?.[1];
}

/** Constant-time check of a presented key against a stored hash. */
export function apiKeyHashMatches(presented: string, keyHash: string): boolean {
  const expected = Buffer.from(keyHash, "hex");
  const actual = createHash("sha256").update(presented, "utf8").digest();
  // Equal lengths are guaranteed for a well-formed stored hash; a malformed one never matches.
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

const DURATION = /^([1-9][0-9]{0,5})([smhd])$/;
const UNIT_MS = Object.freeze({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/** Longest lifetime `--expires-in` accepts: keys must expire, and a year is already generous. */
export const MAX_API_KEY_LIFETIME_MS = 366 * 86_400_000;

/** Parse `--expires-in` (`90s`, `30m`, `1h`, `7d`) into milliseconds; undefined when invalid or too long. */
export function parseExpiresIn(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms <= MAX_API_KEY_LIFETIME_MS ? ms : undefined;
}
