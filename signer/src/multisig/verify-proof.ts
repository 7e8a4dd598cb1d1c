import { verifyMultisigProof } from "@signing-proxy/client-sdk";
import type { MultisigPolicyConfig } from "../config/types.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import { signerEntry } from "../routes/keys.js";

/** The answer of POST /multisig/verify. */
export interface MultisigVerifyResult {
  readonly valid: boolean;
  readonly validSignatures: number;
  readonly threshold: number;
}

function field(proof: unknown, name: string): unknown {
  return typeof proof === "object" && proof !== null ? (proof as Record<string, unknown>)[name] : undefined;
}

/** The proof's digestHex when it is well-formed (for the audit event), else null. */
export function claimedDigest(proof: unknown): string | null {
  const digest = field(proof, "digestHex");
  return typeof digest === "string" && /^[0-9a-f]{64}$/.test(digest) ? digest : null;
}

/**
 * Verify a proof with the SDK's offline rules, against the registry's keys (revoked ones marked) and
 * the trusted policy the proof names. An unknown policy is `{valid:false, validSignatures:0,
 * threshold:0}`: nothing the proof says about its own threshold or signers is believed.
 */
export async function verifyWithPolicies(
  policies: readonly MultisigPolicyConfig[],
  registry: KeyRegistry,
  proof: unknown,
): Promise<MultisigVerifyResult> {
  const named = field(proof, "policy");
  const policy = policies.find((p) => p.id === named);
  if (policy === undefined) return { valid: false, validSignatures: 0, threshold: 0 };
  const keys = { signers: (await registry.list()).map(signerEntry) };
  const r = verifyMultisigProof(proof, { keys, policy });
  return { valid: r.valid, validSignatures: r.validSignatures, threshold: r.threshold };
}
