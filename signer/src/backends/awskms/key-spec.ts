import type {
  KeyMetadata,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import type { Alg } from "../../algorithms.js";

/** How one A4 alg maps onto KMS: the key specs and usage it needs, and the operation that signs. */
export type KmsAlgSpec =
  | {
      readonly op: "sign";
      readonly keySpecs: readonly KeySpec[];
      readonly keyUsage: KeyUsageType;
      readonly signingAlgorithm: SigningAlgorithmSpec;
      readonly messageType: MessageType;
    }
  | {
      readonly op: "mac";
      readonly keySpecs: readonly KeySpec[];
      readonly keyUsage: KeyUsageType;
      readonly macAlgorithm: MacAlgorithmSpec;
    };

/**
 * DESIGN.md A4 in KMS terms, described once. ECDSA and RSA sign the digest as a prehash
 * (`MessageType=DIGEST`); Ed25519 signs the 32 digest bytes as the message (`RAW`, pure RFC 8032,
 * not the `ED25519_PH_SHA_512` prehash variant); HMAC is GenerateMac over the 32 digest bytes.
 */
export const KMS_ALGS: Readonly<Record<Alg, KmsAlgSpec>> = Object.freeze({
  ed25519: {
    op: "sign",
    keySpecs: ["ECC_NIST_EDWARDS25519"],
    keyUsage: "SIGN_VERIFY",
    signingAlgorithm: "ED25519_SHA_512",
    messageType: "RAW",
  },
  "ecdsa-sha256": {
    op: "sign",
    keySpecs: ["ECC_NIST_P256"],
    keyUsage: "SIGN_VERIFY",
    signingAlgorithm: "ECDSA_SHA_256",
    messageType: "DIGEST",
  },
  "rsa-sha256": {
    op: "sign",
    keySpecs: ["RSA_2048", "RSA_3072", "RSA_4096"],
    keyUsage: "SIGN_VERIFY",
    signingAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
    messageType: "DIGEST",
  },
  "hmac-sha256": {
    op: "mac",
    keySpecs: ["HMAC_256"],
    keyUsage: "GENERATE_VERIFY_MAC",
    macAlgorithm: "HMAC_SHA_256",
  },
});

/**
 * Why a KMS key cannot sign for `alg` (disabled, wrong key spec, usage or algorithm list), or
 * undefined when it can. Callers decide whether that refuses start-up or fails a health check.
 */
export function keyMetadataProblem(alg: Alg, meta: KeyMetadata | undefined): string | undefined {
  if (meta === undefined) return "KMS returned no key metadata";
  const spec = KMS_ALGS[alg];
  // A disabled or pending-deletion key must not look healthy, whatever its spec.
  if (meta.KeyState !== "Enabled" || meta.Enabled !== true) {
    return `the KMS key is ${meta.KeyState ?? "not enabled"}; enable it or configure another key`;
  }
  // The key spec decides the signature encoding; any other spec would break A4 for verifiers.
  if (meta.KeySpec === undefined || !spec.keySpecs.includes(meta.KeySpec)) {
    return `alg is ${alg} but the KMS key spec is ${meta.KeySpec ?? "unknown"} (expected ${spec.keySpecs.join(" or ")})`;
  }
  if (meta.KeyUsage !== spec.keyUsage) {
    return `alg is ${alg} but the KMS key usage is ${meta.KeyUsage ?? "unknown"} (expected ${spec.keyUsage})`;
  }
  if (spec.op === "sign" && !(meta.SigningAlgorithms ?? []).includes(spec.signingAlgorithm)) {
    return `the KMS key does not offer the ${spec.signingAlgorithm} signing algorithm that ${alg} needs`;
  }
  if (spec.op === "mac" && !(meta.MacAlgorithms ?? []).includes(spec.macAlgorithm)) {
    return `the KMS key does not offer the ${spec.macAlgorithm} MAC algorithm that ${alg} needs`;
  }
  return undefined;
}
