/**
 * PKCS#11 constants that pkcs11js 2.1.7 does not define (3.0 additions and the CK_STATE values). Values are
 * from the OASIS PKCS#11 3.0 headers (pkcs11t.h).
 */
export const CK3 = Object.freeze({
  /** Key type of Ed25519/Ed448 keys. */
  CKK_EC_EDWARDS: 0x40,
  /** Ed25519 key-pair generation. */
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  /** Pure EdDSA signing (no prehash when the mechanism has no parameter). */
  CKM_EDDSA: 0x1057,
  /** DER SubjectPublicKeyInfo on a private key object (3.0; optional). */
  CKA_PUBLIC_KEY_INFO: 0x129,
  /** Session states (CK_STATE) in which the normal user is logged in. */
  CKS_RO_USER_FUNCTIONS: 1,
  CKS_RW_USER_FUNCTIONS: 3,
});

/** DER OID 1.2.840.10045.3.1.7 (prime256v1), the CKA_EC_PARAMS of a P-256 key. */
export const P256_PARAMS_HEX = "06082a8648ce3d030107";

/** DER OID 1.3.101.112 (id-Ed25519), one CKA_EC_PARAMS form of an Ed25519 key. */
export const ED25519_OID_PARAMS_HEX = "06032b6570";

/**
 * DER PrintableString "edwards25519", the CKA_EC_PARAMS form PKCS#11 3.0 §2.3.5 gives for
 * Ed25519 (what OpenSC's pkcs11-tool writes and SoftHSM accepts).
 */
export const ED25519_NAME_PARAMS_HEX = "130c656477617264733235353139";

/** CK_UNAVAILABLE_INFORMATION as pkcs11js reports it (a CK_ULONG of all ones, cut to 32 bits). */
export const CK_UNAVAILABLE_32 = 0xffff_ffff;
