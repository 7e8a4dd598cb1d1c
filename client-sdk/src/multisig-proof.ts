import { digestHexOf } from "./canonical.js";
import { type TrustedKey, trustedKeys } from "./multisig-keys.js";
import { verifyDigest } from "./verify-digest.js";

/** One approval signature in a multisig proof. */
export interface MultisigProofSignature {
  readonly kid: string;
  readonly alg: string;
  /** Base64 signature over the 32 bytes of `digestHex` (DESIGN.md A4). */
  readonly signature: string;
}

/** The proof the proxy freezes when a proposal reaches its threshold (DESIGN.md A5). */
export interface MultisigProof {
  readonly policy: string;
  readonly digestHex: string;
  readonly threshold: number;
  readonly signatures: readonly MultisigProofSignature[];
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A trusted M-of-N policy: the `multisig.policies[]` entry of SIGNER_CONFIG. */
export interface MultisigPolicy {
  readonly id: string;
  readonly threshold: number;
  readonly signers: readonly string[];
}

/** What {@link verifyMultisigProof} trusts: the keys (signers.json or JWKS body) and the policy. */
export interface VerifyMultisigProofOptions {
  readonly keys: unknown;
  readonly policy: MultisigPolicy;
}

/** The verdict; `threshold` is the trusted policy's, never the proof's. */
export interface MultisigProofVerification {
  readonly valid: boolean;
  /** Distinct, non-revoked policy public keys with a valid signature. */
  readonly validSignatures: number;
  readonly threshold: number;
  /** Why the proof is not valid, or which entries did not count (empty when all is well). */
  readonly problems: readonly string[];
}

const PROOF_FIELDS = ["digestHex", "manifest", "policy", "signatures", "threshold"];
const SIGNATURE_FIELDS = ["alg", "kid", "signature"];
const DIGEST_HEX = /^[0-9a-f]{64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, fields: readonly string[]): boolean {
  const keys = Object.keys(value).sort();
  return keys.length === fields.length && keys.every((k, i) => k === fields[i]);
}

function checkPolicy(policy: MultisigPolicy): void {
  const ok =
    isRecord(policy) &&
    typeof policy.id === "string" &&
    Array.isArray(policy.signers) &&
    policy.signers.every((s) => typeof s === "string") &&
    new Set(policy.signers).size === policy.signers.length &&
    Number.isSafeInteger(policy.threshold) &&
    policy.threshold >= 1 &&
    policy.threshold <= policy.signers.length;
  // The policy is the trust anchor: a malformed one is the caller's mistake, not a bad proof.
  if (!ok) throw new TypeError("policy must be {id, threshold (1..N), signers: N distinct kids}");
}

/**
 * Check a multisig proof offline, with the rules the proxy applies (docs/multisig.md): the digest
 * is recomputed from the manifest (RFC 8785, SHA-256); every signature must verify with the key of
 * its kid, and that kid must be in the trusted policy; each distinct public key counts once; keys
 * marked revoked do not count; `valid` needs at least `policy.threshold` of them. Any entry that
 * could not have come from the proxy (unknown field, a kid outside the policy, a signature that
 * does not verify) makes the whole proof invalid. Throws a TypeError only for bad `keys`/`policy`.
 */
export function verifyMultisigProof(
  proof: unknown,
  options: VerifyMultisigProofOptions,
): MultisigProofVerification {
  const { policy } = options;
  checkPolicy(policy);
  const keys = trustedKeys(options.keys);
  const threshold = policy.threshold;
  const problems: string[] = [];
  const invalid = (problem: string): MultisigProofVerification => ({
    valid: false,
    validSignatures: 0,
    threshold,
    problems: [...problems, problem],
  });
  if (!isRecord(proof) || !hasExactly(proof, PROOF_FIELDS)) {
    return invalid(`a proof is an object with exactly ${PROOF_FIELDS.join(", ")}`);
  }
  // The policy is named by the proof but its content is the caller's: a renamed proof cannot borrow it.
  if (proof.policy !== policy.id)
    return invalid(`proof names policy ${JSON.stringify(proof.policy)}, not ${policy.id}`);
  // A threshold differing from the trusted one means the proof was altered or the policy changed.
  if (proof.threshold !== threshold)
    return invalid(`proof threshold ${String(proof.threshold)} is not the policy's ${threshold}`);
  if (typeof proof.digestHex !== "string" || !DIGEST_HEX.test(proof.digestHex)) {
    return invalid("digestHex must be 64 lowercase hex characters");
  }
  let recomputed: string;
  try {
    recomputed = digestHexOf(proof.manifest);
  } catch {
    return invalid("the manifest cannot be canonicalized (RFC 8785)");
  }
  // The signatures are over digestHex; it must be the manifest's, or they approve something else.
  if (!isRecord(proof.manifest) || recomputed !== proof.digestHex) {
    return invalid("digestHex is not the SHA-256 of the canonical manifest");
  }
  if (!Array.isArray(proof.signatures)) return invalid("signatures must be an array");
  const members = new Set(policy.signers);
  const seenKids = new Set<string>();
  const counted = new Set<string>();
  for (const [i, entry] of proof.signatures.entries()) {
    const verdict = checkEntry(entry, i, { members, keys, seenKids, digestHex: recomputed });
    if (verdict.fatal) return invalid(verdict.problem);
    if (verdict.problem !== undefined) problems.push(verdict.problem);
    else if (verdict.fingerprint !== undefined) {
      if (counted.has(verdict.fingerprint))
        problems.push(`signatures[${i}]: same public key as an earlier entry, counted once`);
      counted.add(verdict.fingerprint);
    }
  }
  const validSignatures = counted.size;
  const valid = validSignatures >= threshold;
  if (!valid) problems.push(`${validSignatures} valid signatures, the policy needs ${threshold}`);
  return { valid, validSignatures, threshold, problems };
}

interface EntryContext {
  readonly members: ReadonlySet<string>;
  readonly keys: ReadonlyMap<string, TrustedKey>;
  readonly seenKids: Set<string>;
  readonly digestHex: string;
}

type EntryVerdict =
  | { readonly fatal: true; readonly problem: string }
  | { readonly fatal: false; readonly problem?: string; readonly fingerprint?: string };

function checkEntry(entry: unknown, i: number, ctx: EntryContext): EntryVerdict {
  const at = `signatures[${i}]`;
  if (!isRecord(entry) || !hasExactly(entry, SIGNATURE_FIELDS)) {
    return { fatal: true, problem: `${at} must have exactly kid, alg, signature` };
  }
  const { kid, alg, signature } = entry;
  if (typeof kid !== "string" || typeof alg !== "string" || typeof signature !== "string") {
    return { fatal: true, problem: `${at}: kid, alg and signature must be strings` };
  }
  // Only the trusted policy's kids may approve; anything else was added after the fact.
  if (!ctx.members.has(kid)) return { fatal: true, problem: `${at}: kid ${kid} is not in the policy` };
  if (ctx.seenKids.has(kid)) return { fatal: true, problem: `${at}: kid ${kid} appears twice` };
  ctx.seenKids.add(kid);
  const key = ctx.keys.get(kid);
  // A policy kid missing from the keys (a JWKS omits revoked keys) or revoked simply does not count.
  if (key === undefined) return { fatal: false, problem: `${at}: no key for ${kid}; not counted` };
  if (key.revoked) return { fatal: false, problem: `${at}: key ${kid} is revoked; not counted` };
  if (alg !== key.alg) return { fatal: true, problem: `${at}: alg ${alg} is not the key's ${key.alg}` };
  let ok: boolean;
  try {
    ok = verifyDigest({ alg: key.alg, publicKey: key.key, digestHex: ctx.digestHex, signature });
  } catch {
    ok = false;
  }
  // A signature that does not verify is a forgery or an alteration: the proof as a whole is bad.
  if (!ok) return { fatal: true, problem: `${at}: the signature of ${kid} does not verify` };
  return { fatal: false, fingerprint: key.fingerprint };
}
