import { SignerError } from "../errors.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { ParsedManifest } from "./manifest.js";

/** What an audit event of one multisig request is about (filled in as the request proceeds). */
export interface Subject {
  op: string;
  kid: string | null;
  digestHex: string | null;
}

/** 404 for a proposal id that does not exist. */
export function unknownProposal(id: string): SignerError {
  return new SignerError("ERR_NOT_FOUND", `no multisig proposal ${id.slice(0, 64)}`);
}

/**
 * Refuse, at proposal time, a key manifest that could never be applied: promotion of a key that is
 * not a candidate, retirement or revocation of a revoked key, or of the audit key (the proxy would
 * stop auditing, and so stop serving). The same conditions are checked again at the threshold.
 */
export async function checkKeyManifest(
  registry: KeyRegistry,
  m: ParsedManifest,
  protectedKids: ReadonlySet<string>,
): Promise<void> {
  if (m.kid === undefined) return;
  const key = await registry.get(m.kid);
  if (m.type === "key-promotion") {
    // Only a candidate (listed, self-tested, signing nothing) can be promoted.
    if (key.status !== "candidate") {
      throw new SignerError(
        "ERR_CONFLICT",
        `key ${m.kid} is ${key.status}; only a candidate can be promoted`,
      );
    }
    if (m.replaces !== undefined) {
      const old = await registry.get(m.replaces);
      if (old.status === "revoked")
        throw new SignerError("ERR_CONFLICT", `key ${m.replaces} is already revoked`);
      if (protectedKids.has(m.replaces)) {
        throw new SignerError(
          "ERR_CONFLICT",
          `key ${m.replaces} is the audit key; configure another auditKid first`,
        );
      }
    }
    return;
  }
  if (key.status === "revoked") throw new SignerError("ERR_CONFLICT", `key ${m.kid} is already revoked`);
  if (protectedKids.has(m.kid)) {
    throw new SignerError("ERR_CONFLICT", `key ${m.kid} is the audit key; configure another auditKid first`);
  }
}
