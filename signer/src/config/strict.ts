import { ConfigError } from "./config-error.js";
import { type IsReadableFile, type TlsPaths, tlsProblems } from "./tls.js";
import type { KeyConfig } from "./types.js";

/** The one line that tells an operator how to give strict mode a real signer. */
export const SIGNER_REMEDY =
  "set AUDIT_SIGNING_KMS_KEY_ID, add a pkcs11: key in SIGNER_CONFIG, or set AUDIT_SIGNING_PRIVATE_KEY (emergency only)";

/** The start-up warning when the emergency key signs in strict mode. */
export const EMERGENCY_WARNING =
  "AUDIT_SIGNING_PRIVATE_KEY is an emergency key: its private key sits in the process environment and memory; " +
  "move to AUDIT_SIGNING_KMS_KEY_ID or a pkcs11: key in SIGNER_CONFIG and unset it";

/** What strict mode looks at. */
export interface StrictInput {
  /** What turned strict mode on, e.g. `NODE_ENV=production`. */
  readonly reason: string;
  readonly keys: readonly KeyConfig[];
  readonly auditKid: string | undefined;
  readonly tls: TlsPaths;
  readonly isReadableFile: IsReadableFile;
}

/** A key whose private half lives in a KMS or HSM (or the declared emergency key). */
export function isNonMockSigner(key: KeyConfig): boolean {
  if (key.dev) return false;
  return key.uri.startsWith("awskms:") || key.uri.startsWith("pkcs11:") || key.emergency;
}

/**
 * Strict mode (production): refuse mock/dev keys, a missing real signer, PINs inside URIs and a
 * main port without mutual TLS. Throws one ConfigError whose message is a single actionable line
 * listing every problem; otherwise returns the start-up warnings.
 */
export function checkStrict(input: StrictInput): string[] {
  const problems: string[] = [];
  for (const key of input.keys) {
    // Mock keys are test fixtures: their material is known to anyone with the repository or CI config.
    if (key.dev) problems.push(`${describeKey(key)} is a mock/dev key; remove it`);
  }
  const signers = input.keys.filter(isNonMockSigner);
  if (signers.length === 0) problems.push(`no non-mock signer is configured: ${SIGNER_REMEDY}`);
  else if (input.auditKid === undefined) {
    // Without an audit key no event can be sealed, so every request would fail closed.
    problems.push("no audit key: set auditKid or defaultKid in SIGNER_CONFIG");
  }
  for (const key of input.keys) {
    // A PIN in the URI ends up in process listings, config dumps and logs; pin-source reads it from a file.
    if (key.uri.startsWith("pkcs11:") && key.uri.toLowerCase().includes("pin-value=")) {
      problems.push(`${describeKey(key)} has pin-value= in its pkcs11: URI; use pin-source=file:… instead`);
    }
  }
  // Strict mode never serves the main port without mutual TLS.
  problems.push(...tlsProblems(input.tls, input.isReadableFile));
  if (problems.length > 0) {
    const line = `refuses to start: ${problems.join("; ")}`.replace(/[\r\n]+/g, " ");
    throw new ConfigError(`strict mode (${input.reason})`, line, "ERR_CONFIG_STRICT");
  }
  return warnings(input.keys);
}

function warnings(keys: readonly KeyConfig[]): string[] {
  const out: string[] = [];
  for (const key of keys) {
    if (key.emergency) out.push(EMERGENCY_WARNING);
    else if (key.uri.startsWith("softkey:")) {
      out.push(
        `${describeKey(key)} is a softkey: its private key is in a file or variable, not a KMS or HSM`,
      );
    }
  }
  return out;
}

function describeKey(key: KeyConfig): string {
  return key.source.startsWith("SIGNER_CONFIG") ? `${key.source} (kid ${key.kid})` : key.source;
}
