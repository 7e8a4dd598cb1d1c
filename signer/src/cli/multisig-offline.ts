import { readFileSync } from "node:fs";
import {
  type MultisigPolicy,
  type MultisigProofVerification,
  parseStrictJson,
  verifyMultisigProof,
} from "@signing-proxy/client-sdk";

/** A usage mistake or unreadable input: the CLI exits 2. */
export class MultisigUsageError extends Error {}

/** Parse a JSON file strictly (a duplicated key could be read two ways by two verifiers). */
export function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MultisigUsageError(
      `cannot read ${flag} ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return parseStrictJson(text, { maxBytes: 16 * 1024 * 1024, maxDepth: 64 });
  } catch (err) {
    throw new MultisigUsageError(`${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The manifest fields given as flags (`--type --target --version --expires[-in] …`). */
export function manifestFromFlags(values: {
  readonly type?: string | undefined;
  readonly target?: string | undefined;
  readonly version?: string | undefined;
  readonly expires?: string | undefined;
  readonly "expires-in"?: string | undefined;
  readonly "rollback-to"?: string | undefined;
  readonly kid?: string | undefined;
  readonly replaces?: string | undefined;
}): Record<string, unknown> {
  const { type, target } = values;
  if (type === undefined || target === undefined || values.version === undefined) {
    throw new MultisigUsageError("give --manifest FILE, or --type, --target, --version and --expires[-in]");
  }
  let expires = values.expires;
  if (values["expires-in"] !== undefined) {
    if (expires !== undefined) throw new MultisigUsageError("give --expires or --expires-in, not both");
    const m = DURATION.exec(values["expires-in"]);
    if (m === null) throw new MultisigUsageError("--expires-in must look like 90m, 24h or 7d");
    expires = new Date(Date.now() + Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000)).toISOString();
  }
  if (expires === undefined) throw new MultisigUsageError("--expires or --expires-in is required");
  return {
    type,
    target,
    version: integer(values.version, "--version"),
    expires,
    ...(values["rollback-to"] !== undefined
      ? { rollbackTo: integer(values["rollback-to"], "--rollback-to") }
      : {}),
    ...(values.kid !== undefined ? { kid: values.kid } : {}),
    ...(values.replaces !== undefined ? { replaces: values.replaces } : {}),
  };
}

function integer(text: string, flag: string): number {
  const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new MultisigUsageError(`${flag} must be a non-negative integer`);
  return n;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The trusted policy for `proof`: the file is one policy `{id, threshold, signers}`, or a
 * SIGNER_CONFIG whose `multisig.policies` holds the one the proof names. Null when none matches.
 */
export function trustedPolicy(doc: unknown, proof: unknown): MultisigPolicy | null {
  if (!isRecord(doc)) throw new MultisigUsageError("--policy must be a JSON object");
  if ("threshold" in doc || "signers" in doc) return doc as unknown as MultisigPolicy;
  const policies = isRecord(doc.multisig) ? doc.multisig.policies : undefined;
  if (!Array.isArray(policies)) {
    throw new MultisigUsageError(
      '--policy must be {"id","threshold","signers"} or a config with multisig.policies',
    );
  }
  const named = isRecord(proof) ? proof.policy : undefined;
  const found = policies.find((p: unknown) => isRecord(p) && p.id === named);
  return found === undefined ? null : (found as MultisigPolicy);
}

/** verifyMultisigProof with the CLI's inputs; a bad keys or policy file is a usage error. */
export function verifyOffline(proof: unknown, keys: unknown, policyDoc: unknown): MultisigProofVerification {
  const policy = trustedPolicy(policyDoc, proof);
  // The threshold must come from a trusted policy; without one nothing in the proof is believed.
  if (policy === null) {
    return {
      valid: false,
      validSignatures: 0,
      threshold: 0,
      problems: ["no trusted policy has the proof's name"],
    };
  }
  try {
    return verifyMultisigProof(proof, { keys, policy });
  } catch (err) {
    if (err instanceof TypeError) throw new MultisigUsageError(err.message);
    throw err;
  }
}
