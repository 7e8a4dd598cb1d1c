/** Why a configuration was refused: invalid input, or a strict-mode (production) requirement unmet. */
export type ConfigErrorCode = "ERR_CONFIG_INVALID" | "ERR_CONFIG_STRICT";

/**
 * The configuration cannot be used. The message is one line that names the offending variable or
 * SIGNER_CONFIG path (e.g. `SIGNER_CONFIG keys[1].alg: …`) and never contains a secret value.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** The variable or SIGNER_CONFIG path at fault (`PORT`, `SIGNER_CONFIG keys[1].alg`, `strict mode`). */
  readonly field: string;

  constructor(field: string, detail: string, code: ConfigErrorCode = "ERR_CONFIG_INVALID") {
    super(`${field}: ${detail}`);
    this.name = "ConfigError";
    this.code = code;
    this.field = field;
  }
}

/** One error for several problems: the first names the field, the rest follow on the same line. */
export function configErrorFrom(
  problems: readonly { readonly field: string; readonly detail: string }[],
  code: ConfigErrorCode = "ERR_CONFIG_INVALID",
): ConfigError {
  const [first, ...rest] = problems;
  if (first === undefined) return new ConfigError("config", "invalid", code);
  const detail = [first.detail, ...rest.map((p) => `${p.field}: ${p.detail}`)].join("; ");
  return new ConfigError(first.field, detail, code);
}
