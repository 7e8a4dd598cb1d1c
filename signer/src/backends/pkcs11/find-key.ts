import type { KeyObject } from "node:crypto";
import pkcs11js from "pkcs11js";
import type { Alg } from "../../algorithms.js";
import { CK3 } from "./constants.js";
import { ckrCode } from "./errors.js";
import type { Pkcs11Api } from "./module.js";
import {
  ed25519PublicKey,
  isEd25519Params,
  p256PublicKey,
  rsaPublicKey,
  spkiPublicKey,
} from "./public-key.js";

/** Which object on the token: its label and/or its CKA_ID. */
export interface ObjectSelector {
  readonly object?: string;
  readonly id?: Buffer;
}

/** What the backend learns about its key once, at start-up. */
export interface KeyFacts {
  /** Null for HMAC keys. */
  readonly publicKey: KeyObject | null;
  /** True when the key's material may leave the token (CKA_EXTRACTABLE, or unknown and not NEVER_EXTRACTABLE). */
  readonly exportable: boolean;
}

/** HMAC keys shorter than the hash output weaken HMAC-SHA-256 (RFC 2104 §3). */
const MIN_HMAC_BYTES = 32;

const KEY_TYPES: Readonly<Record<Alg, readonly number[]>> = {
  ed25519: [CK3.CKK_EC_EDWARDS],
  "ecdsa-sha256": [pkcs11js.CKK_EC],
  "rsa-sha256": [pkcs11js.CKK_RSA],
  "hmac-sha256": [pkcs11js.CKK_GENERIC_SECRET, pkcs11js.CKK_SHA256_HMAC],
};

/** `object "audit-v2"`, `id %01%02`, for messages. */
export function describeObject(selector: ObjectSelector): string {
  return [
    selector.object !== undefined ? `object ${JSON.stringify(selector.object)}` : "",
    selector.id !== undefined ? `id ${selector.id.toString("hex")}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

/** All handles of `cls` objects matching the selector. */
export function findObjects(
  api: Pkcs11Api,
  session: Buffer,
  cls: number,
  selector: ObjectSelector,
): Buffer[] {
  const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: cls }];
  if (selector.object !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: selector.object });
  if (selector.id !== undefined) template.push({ type: pkcs11js.CKA_ID, value: selector.id });
  api.C_FindObjectsInit(session, template);
  try {
    return api.C_FindObjects(session, 16);
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

/** The signing key's handle; throws when no object or more than one matches. */
export function findKeyHandle(api: Pkcs11Api, session: Buffer, alg: Alg, selector: ObjectSelector): Buffer {
  const cls = alg === "hmac-sha256" ? pkcs11js.CKO_SECRET_KEY : pkcs11js.CKO_PRIVATE_KEY;
  const found = findObjects(api, session, cls, selector);
  const what = `${alg === "hmac-sha256" ? "secret" : "private"} key with ${describeObject(selector)}`;
  if (found.length === 0) throw new KeyNotFoundError(`no ${what} on the token`);
  // Two matches would make the signing key depend on the token's search order.
  if (found.length > 1) throw new Error(`${found.length} objects match (${what}); add id= to pick one`);
  return found[0]!;
}

/** The key object the URI names is not on the token (never created, or deleted). */
export class KeyNotFoundError extends Error {
  override readonly name = "KeyNotFoundError";
}

/**
 * Check that the key can make `alg` signatures (type, curve, size, CKA_SIGN) and read its public
 * key: from the private key where it carries it (RSA modulus, CKA_PUBLIC_KEY_INFO), otherwise from
 * the matching public key object. The caller proves the pair matches with a test signature.
 */
export function inspectKey(
  api: Pkcs11Api,
  session: Buffer,
  handle: Buffer,
  alg: Alg,
  selector: ObjectSelector,
): KeyFacts {
  const read = (h: Buffer, type: number) => readAttribute(api, session, h, type);
  const keyType = ulong(read(handle, pkcs11js.CKA_KEY_TYPE));
  if (keyType === undefined || !KEY_TYPES[alg].includes(keyType)) {
    throw new Error(`the key's type (CKK 0x${keyType?.toString(16) ?? "?"}) cannot make ${alg} signatures`);
  }
  // Without CKA_SIGN every request would fail with CKR_KEY_FUNCTION_NOT_PERMITTED.
  if (!bool(read(handle, pkcs11js.CKA_SIGN)))
    throw new Error("the key does not allow signing (CKA_SIGN is false)");
  // An unextractable key's value can be neither read nor wrapped out (PKCS#11 §5.7), sensitive or not.
  const extractable = read(handle, pkcs11js.CKA_EXTRACTABLE);
  const exportable =
    extractable === undefined ? !bool(read(handle, pkcs11js.CKA_NEVER_EXTRACTABLE)) : bool(extractable);
  if (alg === "hmac-sha256") {
    const length = ulong(read(handle, pkcs11js.CKA_VALUE_LEN));
    if (length !== undefined && length < MIN_HMAC_BYTES) {
      throw new Error(`an hmac-sha256 key must be at least ${MIN_HMAC_BYTES} bytes (it is ${length})`);
    }
    return { publicKey: null, exportable };
  }
  return { publicKey: readPublicKey(read, api, session, handle, alg, selector), exportable };
}

function readPublicKey(
  read: (h: Buffer, type: number) => Buffer | undefined,
  api: Pkcs11Api,
  session: Buffer,
  handle: Buffer,
  alg: Exclude<Alg, "hmac-sha256">,
  selector: ObjectSelector,
): KeyObject {
  if (alg === "rsa-sha256") {
    // The private key carries its own modulus: no chance of pairing it with another key's public half.
    const [n, e] = [read(handle, pkcs11js.CKA_MODULUS), read(handle, pkcs11js.CKA_PUBLIC_EXPONENT)];
    if (n && e) return rsaPublicKey(n, e);
  }
  const params = read(handle, pkcs11js.CKA_EC_PARAMS);
  if (alg !== "rsa-sha256") {
    // Check the curve on the private key itself, before trusting any public object.
    if (!params) throw new Error("the private key has no CKA_EC_PARAMS");
    if (alg === "ed25519" && !isEd25519Params(params)) throw new Error("the EC_EDWARDS key is not Ed25519");
    const spki = read(handle, CK3.CKA_PUBLIC_KEY_INFO);
    if (spki && spki.length > 0) return spkiPublicKey(spki);
  }
  const publics = findObjects(api, session, pkcs11js.CKO_PUBLIC_KEY, selector);
  if (publics.length !== 1) {
    throw new Error(
      `expected one public key object with ${describeObject(selector)}, found ${publics.length}`,
    );
  }
  const pub = publics[0]!;
  if (alg === "rsa-sha256") {
    const [n, e] = [read(pub, pkcs11js.CKA_MODULUS), read(pub, pkcs11js.CKA_PUBLIC_EXPONENT)];
    if (!n || !e) throw new Error("the RSA public key object has no modulus or exponent");
    return rsaPublicKey(n, e);
  }
  const point = read(pub, pkcs11js.CKA_EC_POINT);
  if (!point || !params) throw new Error("the public key object has no CKA_EC_POINT");
  return alg === "ed25519" ? ed25519PublicKey(params, point) : p256PublicKey(params, point);
}

/** One attribute's value, or undefined when the object does not have it (or will not reveal it). */
export function readAttribute(
  api: Pkcs11Api,
  session: Buffer,
  handle: Buffer,
  type: number,
): Buffer | undefined {
  try {
    return api.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;
  } catch (err) {
    const code = ckrCode(err);
    if (code === pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID || code === pkcs11js.CKR_ATTRIBUTE_SENSITIVE)
      return undefined;
    throw err;
  }
}

function ulong(value: Buffer | undefined): number | undefined {
  if (!value || value.length === 0) return undefined;
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

function bool(value: Buffer | undefined): boolean {
  return value !== undefined && value.length > 0 && value[0] !== 0;
}
