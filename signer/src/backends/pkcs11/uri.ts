import { Secret } from "../../config/secret.js";
import { BackendConfigError } from "../backend.js";

/** Where a key's token PIN comes from (RFC 7512 `pin-source` / `pin-value`). */
export type PinSpec =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "value"; readonly value: Secret }
  | { readonly kind: "none" };

/** A parsed `pkcs11:` key URI: which module, token and object, and how to log in. */
export interface Pkcs11Uri {
  /** Token label (CK_TOKEN_INFO.label, blank padding removed). */
  readonly token?: string;
  /** Token serial number. */
  readonly serial?: string;
  /** CK_SLOT_ID, as a decimal in the URI. */
  readonly slotId?: bigint;
  /** Object label (CKA_LABEL). */
  readonly object?: string;
  /** Object id (CKA_ID), raw bytes. */
  readonly id?: Buffer;
  /** Object class named by `type=`, when given. */
  readonly type?: "private" | "secret-key";
  readonly modulePath: string;
  readonly pin: PinSpec;
  /** Sessions to keep open on the token (vendor attribute `pool-size`). */
  readonly poolSize?: number;
}

/** Largest `pool-size=` accepted; more sessions than this only cost HSM memory. */
export const MAX_POOL_SIZE = 256;

const PATH_ATTRS = ["token", "serial", "slot-id", "object", "id", "type"] as const;
const QUERY_ATTRS = ["module-path", "pin-source", "pin-value", "pool-size"] as const;
/** RFC 7512 attributes this backend does not implement: named precisely rather than "unknown". */
const UNSUPPORTED = new Set([
  "manufacturer",
  "model",
  "library-description",
  "library-manufacturer",
  "library-version",
  "slot-description",
  "slot-manufacturer",
  "module-name",
]);
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_URI_LENGTH = 4096;
const SHAPE = "pkcs11:token=LABEL;object=LABEL?module-path=/path/to/module.so&pin-source=file:/path";

/**
 * Parse an RFC 7512 `pkcs11:` URI naming one private or secret key. Path attributes: `token`,
 * `serial`, `slot-id`, `object`, `id` (percent-encoded bytes), `type` (`private`/`secret-key`);
 * query attributes: `module-path`, `pin-source` (`file:PATH` or `env:NAME`), `pin-value`, and the
 * vendor attribute `pool-size`. Unknown, repeated, misplaced or malformed attributes are refused
 * with a message naming the attribute; no message echoes a PIN.
 */
export function parsePkcs11Uri(uri: string, kid: string): Pkcs11Uri {
  const fail = (message: string): never => {
    throw new BackendConfigError(kid, `pkcs11: URI: ${message}`);
  };
  if (uri.length > MAX_URI_LENGTH) fail(`longer than ${MAX_URI_LENGTH} characters`);
  if (!/^pkcs11:/i.test(uri)) fail("does not start with pkcs11:");
  const body = uri.slice("pkcs11:".length);
  const question = body.indexOf("?");
  const path = question < 0 ? body : body.slice(0, question);
  const query = question < 0 ? "" : body.slice(question + 1);
  const attrs = new Map<string, Buffer>();
  collect(path, ";", "path", PATH_ATTRS, attrs, fail);
  collect(query, "&", "query", QUERY_ATTRS, attrs, fail);

  const text = (name: string): string | undefined => {
    const raw = attrs.get(name);
    if (raw === undefined) return undefined;
    const value = utf8(raw);
    if (value === undefined) fail(`${name}= is not valid UTF-8 after percent-decoding`);
    if (value === "") fail(`${name}= is empty`);
    return value;
  };
  const type = text("type");
  // The URI must name the key that signs; a public key or certificate cannot.
  if (type !== undefined && type !== "private" && type !== "secret-key") {
    fail(`type=${type.slice(0, 16)} cannot sign; use type=private or type=secret-key (or leave it out)`);
  }
  const modulePath = text("module-path") ?? fail(`module-path= is required (${SHAPE})`);
  if (!modulePath.startsWith("/")) fail("module-path= must be an absolute path to the PKCS#11 module");
  const object = text("object");
  const id = attrs.get("id");
  if (id !== undefined && id.length === 0) fail("id= is empty");
  if (object === undefined && id === undefined)
    fail(`names no key: give object= (the label) or id= (${SHAPE})`);
  const slot = text("slot-id");
  if (slot !== undefined && (!/^\d{1,20}$/.test(slot) || BigInt(slot) >= 2n ** 64n)) {
    fail("slot-id= must be a decimal CK_SLOT_ID");
  }
  const pool = text("pool-size");
  const poolSize = pool === undefined ? undefined : Number(/^\d{1,3}$/.test(pool) ? pool : Number.NaN);
  if (poolSize !== undefined && !(poolSize >= 1 && poolSize <= MAX_POOL_SIZE)) {
    fail(`pool-size= must be an integer from 1 to ${MAX_POOL_SIZE}`);
  }
  const token = text("token");
  const serial = text("serial");
  return {
    ...(token !== undefined ? { token } : {}),
    ...(serial !== undefined ? { serial } : {}),
    ...(slot !== undefined ? { slotId: BigInt(slot) } : {}),
    ...(object !== undefined ? { object } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(type === "private" || type === "secret-key" ? { type } : {}),
    modulePath,
    pin: pinSpec(attrs, fail),
    ...(poolSize !== undefined ? { poolSize } : {}),
  };
}

function collect(
  part: string,
  separator: string,
  where: "path" | "query",
  known: readonly string[],
  into: Map<string, Buffer>,
  fail: (message: string) => never,
): void {
  if (part === "") return;
  const other = where === "path" ? QUERY_ATTRS : PATH_ATTRS;
  for (const [index, segment] of part.split(separator).entries()) {
    const eq = segment.indexOf("=");
    if (eq <= 0) fail(`${where} attribute ${index + 1} is not name=value`);
    const name = segment.slice(0, eq).toLowerCase();
    const shown = NAME.test(name) ? name : `number ${index + 1}`;
    if (!known.includes(name)) {
      if ((other as readonly string[]).includes(name)) {
        fail(`${name}= belongs in the ${where === "path" ? "query (after ?)" : "path (before ?)"}`);
      }
      if (UNSUPPORTED.has(name)) fail(`the RFC 7512 attribute ${name}= is not supported here`);
      fail(`unknown ${where} attribute ${shown} (expected ${known.join(", ")})`);
    }
    // A repeated attribute would leave it unclear which token, key or PIN is meant.
    if (into.has(name)) fail(`${name}= appears twice`);
    into.set(name, percentDecode(segment.slice(eq + 1), name, fail));
  }
}

function pinSpec(attrs: Map<string, Buffer>, fail: (message: string) => never): PinSpec {
  const source = attrs.get("pin-source");
  const value = attrs.get("pin-value");
  if (source !== undefined && value !== undefined) fail("give pin-source= or pin-value=, not both");
  if (value !== undefined) {
    if (value.length === 0) fail("pin-value= is empty");
    return { kind: "value", value: new Secret(value) };
  }
  if (source === undefined) return { kind: "none" };
  const text = utf8(source) ?? "";
  if (text.startsWith("env:")) {
    const name = text.slice("env:".length);
    if (!ENV_NAME.test(name)) fail("pin-source=env: needs an environment variable name");
    return { kind: "env", name };
  }
  if (text.startsWith("file:")) {
    // file:///abs and file:/abs are the same file; a host part would be another machine's file.
    const rest = text.slice("file:".length);
    const path = rest.startsWith("//") ? (rest.startsWith("///") ? rest.slice(2) : "") : rest;
    if (path === "") fail("pin-source=file: needs a local path (file:/path or file:///path)");
    return { kind: "file", path };
  }
  return fail("pin-source= must be file:PATH or env:NAME");
}

/** RFC 3986 percent-decoding to bytes; a `%` not followed by two hex digits is an error. */
function percentDecode(raw: string, name: string, fail: (message: string) => never): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail(`${name}= has a malformed percent-escape`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (ch < 0x21 || ch > 0x7e) {
      // Spaces, controls and non-ASCII must be percent-encoded (RFC 7512 §2.3).
      fail(`${name}= has a character that must be percent-encoded`);
    } else bytes.push(ch);
  }
  return Buffer.from(bytes);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Buffer): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Percent-encode bytes for a URI attribute value: every byte outside RFC 3986 unreserved, or with
 * `all` every byte (RFC 7512 §2.3 recommends that for `id`, which is binary).
 */
export function percentEncode(bytes: Uint8Array, all = false): string {
  let out = "";
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += !all && /[A-Za-z0-9._~-]/.test(ch) ? ch : `%${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}
