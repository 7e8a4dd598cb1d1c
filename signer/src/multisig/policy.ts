import { createHash, createPublicKey } from "node:crypto";
import type { MultisigPolicyConfig } from "../config/types.js";
import type { KeyRecord } from "../store/store.js";

// Fingerprints are taken inside the approval transaction; importing a PEM costs ~0.1 ms, so keep them.
const fingerprints = new Map<string, string>();

/** Lowercase hex SHA-256 of a PEM public key's SPKI DER: what "distinct public key" compares. */
export function pemFingerprint(publicKeyPem: string): string {
  let fp = fingerprints.get(publicKeyPem);
  if (fp === undefined) {
    const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
    fp = createHash("sha256").update(der).digest("hex");
    if (fingerprints.size >= 1024) fingerprints.clear();
    fingerprints.set(publicKeyPem, fp);
  }
  return fp;
}

/** A multisig policy refused at start-up. */
export class MultisigPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultisigPolicyError";
  }
}

/**
 * Check the configured policies against the registered keys, once at start-up. Config validation
 * already refused thresholds outside 1..N, repeated and unknown kids; what needs the registry is
 * here: every signer must have a public key (an HMAC approval could not be verified by anyone
 * else), and no two signers of one policy may share a public key (one key would count twice).
 */
export function validatePolicies(
  policies: readonly MultisigPolicyConfig[],
  records: readonly KeyRecord[],
): void {
  const byKid = new Map(records.map((r) => [r.kid, r]));
  for (const policy of policies) {
    const owners = new Map<string, string>();
    for (const kid of policy.signers) {
      const record = byKid.get(kid);
      if (record === undefined)
        throw new MultisigPolicyError(`multisig policy ${policy.id}: kid ${kid} is not registered`);
      if (record.publicKeyPem === null) {
        throw new MultisigPolicyError(
          `multisig policy ${policy.id}: ${kid} is ${record.alg}; approvals need an asymmetric key anyone can verify`,
        );
      }
      const fingerprint = pemFingerprint(record.publicKeyPem);
      const other = owners.get(fingerprint);
      if (other !== undefined) {
        throw new MultisigPolicyError(
          `multisig policy ${policy.id}: ${other} and ${kid} are the same public key; one key would count twice — give each signer its own key`,
        );
      }
      owners.set(fingerprint, kid);
    }
  }
}

/** True when two policies have the same threshold and the same signer set (order aside). */
export function samePolicy(
  a: MultisigPolicyConfig,
  b: { threshold: number; signers: readonly string[] },
): boolean {
  if (a.threshold !== b.threshold || a.signers.length !== b.signers.length) return false;
  const set = new Set(a.signers);
  return b.signers.every((kid) => set.has(kid));
}
