import { randomBytes } from "node:crypto";
import pkcs11js from "pkcs11js";
import type { Alg } from "../../algorithms.js";
import type { Secret } from "../../config/secret.js";
import { CK3, ED25519_NAME_PARAMS_HEX, P256_PARAMS_HEX } from "./constants.js";
import { isAlreadyLoggedIn } from "./errors.js";
import { describeObject, findObjects, inspectKey } from "./find-key.js";
import { acquireModule, type ModuleLoader } from "./module.js";
import { MIN_RSA_BITS } from "./public-key.js";
import { findSlot } from "./slot.js";
import { type Pkcs11Uri, percentEncode } from "./uri.js";

/** What {@link generatePkcs11Key} needs: the parsed URI (with `object=`), the alg and the PIN. */
export interface GeneratePkcs11KeyInput {
  readonly uri: Pkcs11Uri;
  readonly alg: Alg;
  readonly pin: Secret;
  /** RSA modulus size (default 3072, as for software keys; at least 2048). */
  readonly rsaBits?: number;
  readonly loader?: ModuleLoader;
}

/** The new key: its CKA_ID (random unless the URI gave one) and, for asymmetric algs, its public key. */
export interface GeneratedPkcs11Key {
  readonly label: string;
  readonly id: Buffer;
  /** SPKI PEM; null for HMAC. */
  readonly publicKeyPem: string | null;
}

const ANY_CLASS: readonly number[] = [
  pkcs11js.CKO_PRIVATE_KEY,
  pkcs11js.CKO_PUBLIC_KEY,
  pkcs11js.CKO_SECRET_KEY,
];

/**
 * Generate a key on the token the URI names (C_GenerateKeyPair; C_GenerateKey for HMAC), labelled
 * `object=`: private/secret half sensitive and never extractable, usable only to sign. Refuses when
 * an object with that label (or id) exists. Throws an Error saying what failed; never the PIN.
 */
export function generatePkcs11Key(input: GeneratePkcs11KeyInput): GeneratedPkcs11Key {
  const { uri, alg } = input;
  const label = uri.object;
  if (label === undefined) throw new Error("the URI needs object= (the new key's label)");
  const rsaBits = input.rsaBits ?? 3072;
  if (!Number.isInteger(rsaBits) || rsaBits < MIN_RSA_BITS)
    throw new Error(`RSA keys need at least ${MIN_RSA_BITS} bits`);
  const module = acquireModule(uri.modulePath, input.loader);
  try {
    const api = module.api;
    const slot = findSlot(api, uri);
    const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      try {
        api.C_Login(session, pkcs11js.CKU_USER, input.pin.revealText());
      } catch (err) {
        if (!isAlreadyLoggedIn(err)) throw err;
      }
      const id = uri.id ?? randomBytes(8);
      // A second key under one label would make `object=` ambiguous for every user of the old one.
      for (const selector of [{ object: label }, { id }]) {
        const taken = ANY_CLASS.some((cls) => findObjects(api, session, cls, selector).length > 0);
        if (taken)
          throw new Error(
            `the token already has an object with ${describeObject(selector)}; refusing to add another`,
          );
      }
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ];
      const secretAttrs = [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        // Sensitive and never extractable: the key cannot be read or wrapped out of the token.
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ];
      let handle: Buffer;
      if (alg === "hmac-sha256") {
        handle = api.C_GenerateKey(session, { mechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN }, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
          { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11js.CKA_VERIFY, value: true },
          ...secretAttrs,
        ]);
      } else {
        const { mechanism, publicAttrs } = pairTemplate(alg, rsaBits);
        const pair = api.C_GenerateKeyPair(
          session,
          { mechanism },
          [...common, { type: pkcs11js.CKA_VERIFY, value: true }, ...publicAttrs],
          secretAttrs,
        );
        handle = pair.privateKey;
      }
      const facts = inspectKey(api, session, handle, alg, { object: label, id });
      const publicKeyPem = facts.publicKey
        ? (facts.publicKey.export({ type: "spki", format: "pem" }) as string)
        : null;
      return { label, id, publicKeyPem };
    } finally {
      api.C_CloseSession(session);
    }
  } finally {
    module.release();
  }
}

function pairTemplate(alg: Exclude<Alg, "hmac-sha256">, rsaBits: number) {
  switch (alg) {
    case "ed25519":
      // The PKCS#11 3.0 curve-name form, as pkcs11-tool writes it.
      return {
        mechanism: CK3.CKM_EC_EDWARDS_KEY_PAIR_GEN,
        publicAttrs: [{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(ED25519_NAME_PARAMS_HEX, "hex") }],
      };
    case "ecdsa-sha256":
      return {
        mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN,
        publicAttrs: [{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(P256_PARAMS_HEX, "hex") }],
      };
    case "rsa-sha256":
      return {
        mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
        publicAttrs: [
          { type: pkcs11js.CKA_MODULUS_BITS, value: rsaBits },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ],
      };
  }
}

/** The URI to put in SIGNER_CONFIG for the new key: its id added, any `pin-value=` dropped. */
export function configUriFor(original: string, uri: Pkcs11Uri, id: Buffer): string {
  const question = original.indexOf("?");
  const path = question < 0 ? original : original.slice(0, question);
  const query = question < 0 ? [] : original.slice(question + 1).split("&");
  const kept = query.filter((attr) => !attr.toLowerCase().startsWith("pin-value="));
  const withId = uri.id === undefined ? `${path};id=${percentEncode(id, true)}` : path;
  return kept.length > 0 ? `${withId}?${kept.join("&")}` : withId;
}
