import type { Alg, KeyStatus, Role } from "../algorithms.js";
import type { Secret } from "./secret.js";

/** One key as configured (SIGNER_CONFIG `keys[]` or an env shortcut). */
export interface KeyConfig {
  readonly kid: string;
  /** `softkey:`, `pkcs11:` or `awskms:` URI (DESIGN.md A3). */
  readonly uri: string;
  readonly alg: Alg;
  /** Initial registry status when the kid is first registered. */
  readonly status: KeyStatus;
  readonly description: string;
  readonly usage: readonly string[];
  /** Key material resolved by config from `env=` URIs or env shortcuts; never logged. */
  readonly secret?: Secret;
  /** Mock or `signer dev` key: refused in strict mode. */
  readonly dev: boolean;
  /** Defined by AUDIT_SIGNING_PRIVATE_KEY: accepted in strict mode only as an emergency key. */
  readonly emergency: boolean;
  /** Where it came from, for error messages: `SIGNER_CONFIG keys[2]` or an env variable name. */
  readonly source: string;
}

/** Who a client certificate identity maps to. */
export interface PrincipalConfig {
  readonly id: string;
  readonly match: { readonly cn?: string; readonly san_uri?: string };
  readonly roles: readonly Role[];
  readonly keys: readonly string[];
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  readonly requireApiKey: boolean;
  /** Requests must also carry an OIDC bearer token (human operators); roles come from the token. */
  readonly oidc?: boolean;
}

/** SIGNER_CONFIG `oidc`: how operators' bearer tokens are verified (see config/oidc-schema.ts). */
export interface OidcConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  readonly requiredClaims: readonly string[];
  readonly roleClaim: string;
  readonly roleMap: Readonly<Record<string, Role>>;
  readonly subjectClaim: string;
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksTimeoutMs: number;
}

/** Server timeouts and the in-flight request cap (config/http-settings.ts). */
export interface HttpSettings {
  readonly maxInflight: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** A named M-of-N signer set. */
export interface MultisigPolicyConfig {
  readonly id: string;
  readonly threshold: number;
  readonly signers: readonly string[];
}

/** Files for the main port's mutual TLS. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string;
  readonly crlFile?: string;
}

/** AWS settings for `awskms:` keys; config is the only reader of the environment, so they live here. */
export interface AwsConfig {
  /** AWS_REGION (or AWS_DEFAULT_REGION): the region for `awskms:` URIs that name none. */
  readonly region?: string;
  /** KMS_ENDPOINT: the endpoint for `awskms:` URIs that name none (e.g. `signer mock-kms`). */
  readonly endpoint?: string;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, when set. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: Secret;
    readonly sessionToken?: Secret;
  };
}

/** The one validated, frozen configuration. Only config.ts builds it. */
export interface Config {
  /** NODE_ENV=production or REQUIRE_KMS=true. */
  readonly strict: boolean;
  readonly nodeEnv: string;
  readonly host: string;
  readonly port: number;
  readonly managementHost: string;
  readonly managementPort: number;
  /** Null only outside strict mode before `signer dev` fills it in. */
  readonly tls: TlsFiles | null;
  readonly dataDir: string;
  readonly databaseUrl?: Secret;
  readonly keys: readonly KeyConfig[];
  readonly defaultKid?: string;
  readonly auditKid?: string;
  readonly logKid?: string;
  readonly logOrigin?: string;
  readonly principals: readonly PrincipalConfig[];
  readonly multisig: { readonly policies: readonly MultisigPolicyConfig[] };
  /** SIGNING_PROXY_API_KEY: a shared second factor on top of mTLS. */
  readonly apiKey?: Secret;
  readonly aws: AwsConfig;
  readonly logLevel: string;
  readonly signerId: string;
  readonly limits: {
    readonly bodyLimitBytes: number;
    readonly batchMaxItems: number;
    readonly canonicalMaxBytes: number;
    readonly canonicalMaxDepth: number;
  };
  /** Operators' OIDC bearer tokens, for principals with `oidc: true`. */
  readonly oidc?: OidcConfig;
  readonly http: HttpSettings;
  /** Human-readable start-up warnings (e.g. the emergency key in use). */
  readonly warnings: readonly string[];
}
