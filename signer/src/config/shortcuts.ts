import { ALG_NAMES, type Alg } from "../algorithms.js";
import { ConfigError } from "./config-error.js";
import { type Env, parseChoice, readVar } from "./env.js";
import { checkHmacSecret, inferPemAlg, looksLikePem, unescapePem } from "./key-material.js";
import { Secret } from "./secret.js";
import { type ReadFile, resolveSecret } from "./secret-ref.js";
import type { KeyConfig } from "./types.js";

/** The kid the env shortcuts define (DESIGN.md A3). */
export const SHORTCUT_KID = "default";

/** The variables that each define the shortcut key; at most one may be set. */
export const SHORTCUT_SOURCES = Object.freeze([
  "AUDIT_SIGNING_KMS_KEY_ID",
  "AUDIT_SIGNING_PRIVATE_KEY",
  "AUDIT_SIGNING_KEY",
  "MOCK_AUDIT_SIGNING_KEY",
] as const);

const HMAC_ALIASES = ["AUDIT_SIGNING_KEY", "AUDIT_SIGNING_SECRET"] as const;

type Base = Pick<KeyConfig, "kid" | "status" | "usage">;
const BASE: Base = { kid: SHORTCUT_KID, status: "active", usage: ["sign"] };

/**
 * The key defined by the A2 env shortcuts, or undefined when none is set. Setting two sources is
 * refused: with both a KMS id and a PEM it would be unclear which one signs.
 */
export function shortcutKey(env: Env, readFile: ReadFile): KeyConfig | undefined {
  const requested = parseChoice(env, "AUDIT_SIGNING_ALG", ALG_NAMES);
  // Ambiguity is decided on presence alone, before any file is read.
  const set = SHORTCUT_SOURCES.flatMap((name) =>
    name === "AUDIT_SIGNING_KEY"
      ? HMAC_ALIASES.filter((alias) => readVar(env, alias) !== undefined).slice(0, 1)
      : readVar(env, name) !== undefined
        ? [name]
        : [],
  );
  if (set.length > 1) {
    throw new ConfigError(
      set.join(", "),
      "only one signing-key shortcut may be set (otherwise which one signs?); unset all but one",
    );
  }
  const kmsId = readVar(env, "AUDIT_SIGNING_KMS_KEY_ID");
  if (kmsId !== undefined) return kmsKey(env, kmsId.trim(), requested);
  const pem = readVar(env, "AUDIT_SIGNING_PRIVATE_KEY");
  if (pem !== undefined) return emergencyKey(env, readFile, pem, requested);
  const hmac = hmacVariable(env, readFile);
  if (hmac !== undefined) return hmacKey(hmac.secret, hmac.name, requested);
  const mock = readVar(env, "MOCK_AUDIT_SIGNING_KEY");
  if (mock !== undefined) return mockKey(env, readFile, mock, requested);
  return undefined;
}

/** `awskms:` URI for the KMS shortcut; values are percent-encoded so `;` or `=` cannot inject params. */
export function kmsUri(keyId: string, region: string | undefined, endpoint: string | undefined): string {
  let uri = `awskms:key-id=${encodeURIComponent(keyId)}`;
  if (region !== undefined) uri += `;region=${encodeURIComponent(region)}`;
  if (endpoint !== undefined) uri += `;endpoint=${encodeURIComponent(endpoint)}`;
  return uri;
}

function kmsKey(env: Env, keyId: string, requested: Alg | undefined): KeyConfig {
  if (keyId === "") throw new ConfigError("AUDIT_SIGNING_KMS_KEY_ID", "is blank");
  const region = readVar(env, "AWS_REGION") ?? readVar(env, "AWS_DEFAULT_REGION");
  const endpoint = readVar(env, "KMS_ENDPOINT");
  return {
    ...BASE,
    uri: kmsUri(keyId, region?.trim(), endpoint?.trim()),
    alg: requested ?? "hmac-sha256",
    description: "defined by AUDIT_SIGNING_KMS_KEY_ID",
    dev: false,
    emergency: false,
    source: "AUDIT_SIGNING_KMS_KEY_ID",
  };
}

function emergencyKey(env: Env, readFile: ReadFile, value: string, requested: Alg | undefined): KeyConfig {
  const name = "AUDIT_SIGNING_PRIVATE_KEY";
  const resolved = resolveSecret(value, env, readFile, { name });
  const pem = unescapePem(resolved.revealText());
  const alg = inferPemAlg(pem, name, requested);
  return {
    ...BASE,
    uri: "softkey:inline",
    alg,
    description: "emergency key defined by AUDIT_SIGNING_PRIVATE_KEY",
    secret: new Secret(pem),
    dev: false,
    emergency: true,
    source: name,
  };
}

function hmacKey(secret: Secret, name: string, requested: Alg | undefined): KeyConfig {
  if (requested !== undefined && requested !== "hmac-sha256") {
    throw new ConfigError(
      "AUDIT_SIGNING_ALG",
      `${name} holds an HMAC secret, so the alg must be hmac-sha256`,
    );
  }
  checkHmacSecret(secret, name);
  return {
    ...BASE,
    uri: "softkey:inline",
    alg: "hmac-sha256",
    description: `defined by ${name}`,
    secret,
    dev: false,
    emergency: false,
    source: name,
  };
}

function mockKey(env: Env, readFile: ReadFile, value: string, requested: Alg | undefined): KeyConfig {
  const name = "MOCK_AUDIT_SIGNING_KEY";
  const raw = resolveSecret(value, env, readFile, { name, binary: true });
  const common = { ...BASE, uri: "softkey:inline", dev: true, emergency: false, source: name };
  if (looksLikePem(raw)) {
    const pem = unescapePem(raw.revealText());
    const alg = inferPemAlg(pem, name, requested);
    return { ...common, alg, description: "mock key (dev/CI only)", secret: new Secret(pem) };
  }
  if (requested !== undefined && requested !== "hmac-sha256") {
    throw new ConfigError("AUDIT_SIGNING_ALG", `${name} is not a PEM key, so the alg must be hmac-sha256`);
  }
  checkHmacSecret(raw, name);
  return { ...common, alg: "hmac-sha256", description: "mock HMAC key (dev/CI only)", secret: raw };
}

/** AUDIT_SIGNING_KEY and AUDIT_SIGNING_SECRET are aliases; both set must agree. */
function hmacVariable(env: Env, readFile: ReadFile): { name: string; secret: Secret } | undefined {
  const key = readVar(env, "AUDIT_SIGNING_KEY");
  const alias = readVar(env, "AUDIT_SIGNING_SECRET");
  const fromKey =
    key === undefined
      ? undefined
      : resolveSecret(key, env, readFile, { name: "AUDIT_SIGNING_KEY", binary: true });
  const fromAlias =
    alias === undefined
      ? undefined
      : resolveSecret(alias, env, readFile, { name: "AUDIT_SIGNING_SECRET", binary: true });
  if (fromKey && fromAlias && !fromKey.reveal().equals(fromAlias.reveal())) {
    throw new ConfigError(
      "AUDIT_SIGNING_KEY, AUDIT_SIGNING_SECRET",
      "both are set to different secrets; they are aliases, set only one",
    );
  }
  if (fromKey) return { name: "AUDIT_SIGNING_KEY", secret: fromKey };
  if (fromAlias) return { name: "AUDIT_SIGNING_SECRET", secret: fromAlias };
  return undefined;
}
