import { z } from "zod";
import { ALG_NAMES, KEY_STATUSES, ROLES } from "../algorithms.js";
import { OidcSchema } from "./oidc-schema.js";

/** kid syntax: safe in URLs, file names, log lines and audit events. */
export const KID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const Kid = z.string().regex(KID_PATTERN, { error: "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -" });
const Id = z.string().min(1).max(128);

/** What is wrong with a key URI's shape, or undefined; backends parse the details. */
export function keyUriProblem(uri: string): string | undefined {
  if (uri.startsWith("softkey:")) {
    const rest = uri.slice("softkey:".length);
    if (rest === "inline")
      return "softkey:inline is reserved for the env shortcuts; use softkey:file= or softkey:env=";
    if (/^file=.+$/.test(rest)) return undefined;
    if (/^env=[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) return undefined;
    return "expected softkey:file=PATH or softkey:env=VARIABLE";
  }
  if (uri.startsWith("pkcs11:")) return uri.length > "pkcs11:".length ? undefined : "empty pkcs11: URI";
  if (uri.startsWith("awskms:")) {
    return /(?:^awskms:|;)key-id=[^;]+/.test(uri) ? undefined : "an awskms: URI needs key-id=";
  }
  return "expected a softkey:, pkcs11: or awskms: URI";
}

const KeyUri = z.string().superRefine((uri, ctx) => {
  const problem = keyUriProblem(uri);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

const KeyEntry = z.strictObject({
  kid: Kid,
  uri: KeyUri,
  alg: z.enum(ALG_NAMES),
  status: z.enum(KEY_STATUSES).default("active"),
  description: z.string().max(1024).default(""),
  usage: z.array(z.string().min(1).max(64)).default(["sign"]),
  /** A dev/CI key: refused in strict mode. */
  dev: z.boolean().default(false),
});

const Match = z
  .strictObject({ cn: z.string().min(1).optional(), san_uri: z.string().min(1).optional() })
  .refine((m) => (m.cn === undefined) !== (m.san_uri === undefined), {
    error: "expected exactly one of cn or san_uri",
  });

const Principal = z.strictObject({
  id: Id,
  match: Match,
  roles: z.array(z.enum(ROLES)).min(1),
  keys: z.array(Kid).default([]),
  rateLimit: z.strictObject({ max: z.int().min(1), windowMs: z.int().min(1) }).optional(),
  requireApiKey: z.boolean().default(false),
  oidc: z.boolean().default(false),
});

const Policy = z.strictObject({
  id: Id,
  threshold: z.int().min(1),
  signers: z.array(Kid).min(1),
});

/** The SIGNER_CONFIG JSON (DESIGN.md A3). Strict: an unknown field is an error, not ignored. */
export const ConfigFileSchema = z.strictObject({
  keys: z.array(KeyEntry).default([]),
  defaultKid: Kid.optional(),
  auditKid: Kid.optional(),
  logKid: Kid.optional(),
  logOrigin: z.string().min(1).max(256).optional(),
  principals: z.array(Principal).default([]),
  multisig: z.strictObject({ policies: z.array(Policy).default([]) }).default({ policies: [] }),
  oidc: OidcSchema.optional(),
});

/** The parsed config file, defaults applied. */
export type ConfigFile = z.output<typeof ConfigFileSchema>;
/** One parsed `keys[]` entry. */
export type ConfigFileKey = ConfigFile["keys"][number];
