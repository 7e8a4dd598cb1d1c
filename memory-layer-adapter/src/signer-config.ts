/** The environment as the check reads it (`process.env` or a plain object). */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Which audit signer the environment configures. */
export type ConfiguredSigner = "signing-proxy" | "kms" | "private-key" | "none";

/** The Memory Layer must not start: strict mode without an audit signer, or a malformed flag. */
export class SignerConfigurationError extends Error {
  readonly code = "ERR_SIGNER_NOT_CONFIGURED";

  constructor(message: string) {
    super(message);
    this.name = "SignerConfigurationError";
  }
}

const SIGNER_VARS = ["SIGNING_PROXY_URL", "AUDIT_SIGNING_KMS_KEY_ID", "AUDIT_SIGNING_PRIVATE_KEY"] as const;

/**
 * The start-up rule for the Memory Layer (DESIGN.md A8): with `NODE_ENV=production` or
 * `REQUIRE_KMS=true`, throw SignerConfigurationError unless SIGNING_PROXY_URL,
 * AUDIT_SIGNING_KMS_KEY_ID or AUDIT_SIGNING_PRIVATE_KEY is set (empty counts as unset). Outside
 * strict mode it never throws for a missing signer. Returns what is configured and whether strict
 * mode is on, for the start-up log.
 */
export function assertSignerConfigured(env: EnvLike): { strict: boolean; signer: ConfiguredSigner } {
  const set = (name: string): boolean => (env[name] ?? "").trim() !== "";
  const strict = (env.NODE_ENV ?? "").trim().toLowerCase() === "production" || requireKms(env.REQUIRE_KMS);
  const signer: ConfiguredSigner = set("SIGNING_PROXY_URL")
    ? "signing-proxy"
    : set("AUDIT_SIGNING_KMS_KEY_ID")
      ? "kms"
      : set("AUDIT_SIGNING_PRIVATE_KEY")
        ? "private-key"
        : "none";
  // In production an unsigned (or locally mock-signed) audit log is worthless as evidence: refuse to start.
  if (strict && signer === "none") {
    const why =
      (env.NODE_ENV ?? "").trim().toLowerCase() === "production" ? "NODE_ENV=production" : "REQUIRE_KMS=true";
    throw new SignerConfigurationError(
      `${why} requires an audit signer: set ${SIGNER_VARS[0]} (the signing proxy, preferred), ${SIGNER_VARS[1]} or ${SIGNER_VARS[2]}`,
    );
  }
  return { strict, signer };
}

function requireKms(raw: string | undefined): boolean {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  // A typo such as REQUIRE_KMS=yes must not silently turn strict mode off.
  throw new SignerConfigurationError(
    `REQUIRE_KMS must be "true", "1", "false" or "0", not ${JSON.stringify(raw)}`,
  );
}
