import { createHash, timingSafeEqual } from "node:crypto";

/** The API key a request carries (`Authorization: Bearer …` or `x-api-key`), if any. */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers["x-api-key"];
  if (typeof header === "string" && header.length > 0) return header;
  const auth = headers.authorization;
  if (typeof auth === "string" && auth.startsWith("Bearer ")) return auth.slice(7).trim();
  return undefined;
}

/**
 * Constant-time comparison of a presented key with the expected one. Both are hashed first so
 * neither the content nor the length of the expected key leaks through timing.
 */
export function apiKeyMatches(presented: string | undefined, expected: Buffer): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
