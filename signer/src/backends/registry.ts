import type { KeyConfig } from "../config/types.js";
import { createAwsKmsBackend } from "./awskms/lazy-factory.js";
import {
  BackendConfigError,
  type BackendContext,
  type BackendFactory,
  type SigningBackend,
} from "./backend.js";
import { createPkcs11Backend } from "./pkcs11/create-pkcs11-backend.js";
import { createSoftKeyBackend } from "./softkey/create-softkey-backend.js";

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const factories = new Map<string, BackendFactory>();

/** Register the factory for key URIs `scheme:…`. Registering a scheme twice is a bug and throws. */
export function registerBackend(scheme: string, factory: BackendFactory): void {
  if (!SCHEME.test(scheme)) throw new TypeError(`invalid URI scheme ${JSON.stringify(scheme)}`);
  // Silently replacing a factory would let one module redirect another's keys.
  if (factories.has(scheme)) throw new Error(`a backend for ${scheme}: is already registered`);
  factories.set(scheme, factory);
}

/** The registered schemes, sorted. */
export function registeredSchemes(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Build the backend for one configured key, chosen by the URI scheme (the text before the first
 * `:`). Throws a BackendConfigError for an unknown scheme or a backend that does not match the key.
 */
export async function createBackend(key: KeyConfig, ctx: BackendContext): Promise<SigningBackend> {
  const colon = key.uri.indexOf(":");
  // Errors name only the scheme: the rest of a URI may carry a PIN or credentials reference.
  if (colon <= 0) throw new BackendConfigError(key.kid, `key URI has no scheme (${expected()})`);
  const scheme = key.uri.slice(0, colon).toLowerCase();
  const factory = factories.get(scheme);
  if (!factory) {
    const shown = SCHEME.test(scheme) && scheme.length <= 32 ? `${scheme}:` : "the URI scheme";
    throw new BackendConfigError(key.kid, `unknown key backend ${shown} (${expected()})`);
  }
  const backend = await factory(key, ctx);
  // A backend answering for another kid or alg would sign with the wrong key or encoding.
  if (backend.kid !== key.kid || backend.alg !== key.alg) {
    await backend.close();
    throw new BackendConfigError(key.kid, `the ${scheme}: backend returned ${backend.kid}/${backend.alg}`);
  }
  return backend;
}

function expected(): string {
  return `expected ${registeredSchemes()
    .map((s) => `${s}:`)
    .join(", ")}`;
}

registerBackend("softkey", createSoftKeyBackend);
registerBackend("awskms", createAwsKmsBackend);
registerBackend("pkcs11", createPkcs11Backend);
