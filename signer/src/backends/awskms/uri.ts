import { BackendConfigError } from "../backend.js";

/** Where an `awskms:` key lives: the key as KMS names it, and optionally its region and endpoint. */
export interface AwsKmsLocation {
  /** KeyId, key ARN, alias name (`alias/…`) or alias ARN, percent-decoded. */
  readonly keyId: string;
  readonly region?: string;
  readonly endpoint?: string;
}

const PARAMS = ["key-id", "region", "endpoint"] as const;
type Param = (typeof PARAMS)[number];

const SHAPE = "an awskms: URI is awskms:key-id=ID[;region=REGION][;endpoint=URL]";
/** The region format AWS uses (and config accepts for AWS_REGION). */
const REGION = /^[a-z0-9-]{1,64}$/;
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const ARN =
  /^arn:aws[a-z-]*:kms:([a-z0-9-]{1,64}):(\d{12}):(key\/[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250})$/;

/**
 * Parse `awskms:key-id=…;region=…;endpoint=…` (DESIGN.md A3). Values are percent-decoded (the env
 * shortcuts encode them, so `;` and `=` cannot inject parameters); unknown, repeated or empty
 * parameters are refused. Messages never echo the endpoint, which may be an internal URL.
 */
export function parseAwsKmsUri(uri: string, kid: string): AwsKmsLocation {
  const colon = uri.indexOf(":");
  if (colon < 0 || uri.slice(0, colon).toLowerCase() !== "awskms") {
    throw new BackendConfigError(kid, "not an awskms: URI");
  }
  const rest = uri.slice(colon + 1);
  if (rest === "") throw new BackendConfigError(kid, `${SHAPE}; this one is empty`);
  const values = new Map<Param, string>();
  for (const [index, segment] of rest.split(";").entries()) {
    const eq = segment.indexOf("=");
    if (eq <= 0) {
      throw new BackendConfigError(
        kid,
        `parameter ${index + 1} of the awskms: URI is not name=value (${SHAPE})`,
      );
    }
    const name = segment.slice(0, eq);
    if (!isParam(name)) {
      const shown = /^[a-z-]{1,32}$/.test(name) ? `"${name}"` : `${index + 1}`;
      throw new BackendConfigError(
        kid,
        `unknown awskms: URI parameter ${shown} (expected ${PARAMS.join(", ")})`,
      );
    }
    // A repeated parameter would make it unclear which key or endpoint is meant.
    if (values.has(name)) throw new BackendConfigError(kid, `the awskms: URI repeats ${name}=`);
    const value = decode(kid, name, segment.slice(eq + 1));
    if (value === "") throw new BackendConfigError(kid, `${name}= in the awskms: URI is empty`);
    values.set(name, value);
  }
  const keyId = values.get("key-id");
  if (keyId === undefined) throw new BackendConfigError(kid, `the awskms: URI has no key-id= (${SHAPE})`);
  checkKeyId(kid, keyId);
  const region = values.get("region");
  if (region !== undefined) checkRegion(kid, keyId, region);
  const endpoint = values.get("endpoint");
  if (endpoint !== undefined) checkEndpoint(kid, endpoint);
  return {
    keyId,
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/** The region named by a key or alias ARN, if `keyId` is one. */
export function arnRegion(keyId: string): string | undefined {
  return ARN.exec(keyId)?.[1];
}

function isParam(name: string): name is Param {
  return (PARAMS as readonly string[]).includes(name);
}

function decode(kid: string, name: Param, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BackendConfigError(kid, `${name}= in the awskms: URI is not valid percent-encoding`);
  }
}

function checkKeyId(kid: string, keyId: string): void {
  if (KEY_ID.test(keyId) || ALIAS.test(keyId) || ARN.test(keyId)) return;
  // KMS accepts exactly these four forms; anything else would only fail later, at the first call.
  throw new BackendConfigError(
    kid,
    "key-id must be a KMS key ID, key ARN, alias name (alias/NAME) or alias ARN" +
      (keyId.length <= 300 && !/[\s\p{Cc}]/u.test(keyId) ? ` (got ${JSON.stringify(keyId)})` : ""),
  );
}

function checkRegion(kid: string, keyId: string, region: string): void {
  if (!REGION.test(region))
    throw new BackendConfigError(kid, "region= must be a region name such as eu-west-1");
  const fromArn = arnRegion(keyId);
  // Signing in one region with a key ARN of another cannot work; say so now rather than at the first call.
  if (fromArn !== undefined && fromArn !== region) {
    throw new BackendConfigError(kid, `region=${region} differs from the region of the key ARN (${fromArn})`);
  }
}

function checkEndpoint(kid: string, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new BackendConfigError(kid, "endpoint= must be an http:// or https:// URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BackendConfigError(kid, "endpoint= must be an http:// or https:// URL");
  }
  // Credentials come from the AWS credential chain; a URL holding them would end up in logs.
  if (url.username !== "" || url.password !== "") {
    throw new BackendConfigError(kid, "endpoint= must not carry credentials (user:password@)");
  }
}
