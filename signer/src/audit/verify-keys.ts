import { parseStrictJson } from "@signing-proxy/client-sdk";
import { isAlg, KEY_STATUSES, type KeyStatus } from "../algorithms.js";
import type { BackendContext, SigningBackend } from "../backends/backend.js";
import { createBackend } from "../backends/registry.js";
import type { KeyConfig } from "../config/types.js";
import type { KeyRecord } from "../store/store.js";
import type { SealKey, VerifySymmetric } from "./verify-seal.js";

/** Seal keys from key registry records (the store's `keys` table). */
export function sealKeysFromRecords(records: readonly KeyRecord[]): Map<string, SealKey> {
  return new Map(
    records.map((r) => [
      r.kid,
      Object.freeze({ alg: r.alg, publicKeyPem: r.publicKeyPem, status: r.status }),
    ]),
  );
}

/**
 * Seal keys from a signers.json (the `/keys` body, DESIGN.md A5):
 * `{"signers":[{"signer_kid","algorithm","public_key_pem","status"}, …]}`. Throws an Error naming the
 * entry at fault; other fields (deployedAt, description) are ignored.
 */
export function parseSignersJson(text: string): Map<string, SealKey> {
  // Strict parsing: with a duplicated key, two readers of the same file could trust different keys.
  const doc = parseStrictJson(text, { maxBytes: 16 * 1024 * 1024 });
  const signers = isRecord(doc) ? doc.signers : undefined;
  if (!Array.isArray(signers)) throw new Error('expected {"signers": [...]}');
  const keys = new Map<string, SealKey>();
  signers.forEach((entry: unknown, i) => {
    const at = `signers[${i}]`;
    if (!isRecord(entry)) throw new Error(`${at} is not an object`);
    const { signer_kid: kid, algorithm: alg, public_key_pem: pem, status } = entry;
    if (typeof kid !== "string" || kid === "") throw new Error(`${at}.signer_kid must be a non-empty string`);
    if (!isAlg(alg))
      throw new Error(`${at}.algorithm must be one of ed25519, ecdsa-sha256, rsa-sha256, hmac-sha256`);
    if (pem !== undefined && pem !== null && typeof pem !== "string") {
      throw new Error(`${at}.public_key_pem must be a string`);
    }
    // An asymmetric key without its public half could never verify a seal; say so now.
    if (alg !== "hmac-sha256" && typeof pem !== "string") {
      throw new Error(`${at}.public_key_pem is required for ${alg}`);
    }
    if (status !== undefined && !isKeyStatus(status)) {
      throw new Error(`${at}.status must be one of ${KEY_STATUSES.join(", ")}`);
    }
    // Two entries for one kid would make "which key sealed this" ambiguous.
    if (keys.has(kid)) throw new Error(`${at}: signer_kid ${JSON.stringify(kid)} appears twice`);
    keys.set(
      kid,
      Object.freeze({
        alg,
        publicKeyPem: alg === "hmac-sha256" ? null : (pem as string),
        ...(status !== undefined ? { status } : {}),
      }),
    );
  });
  return keys;
}

/** An HMAC seal checker over configured backends, created on first use; close it afterwards. */
export interface SymmetricVerifier {
  readonly verify: VerifySymmetric;
  close(): Promise<void>;
}

/**
 * Check HMAC seals with the secrets the configuration can load (SIGNER_CONFIG keys or env shortcuts).
 * Returns undefined when no hmac-sha256 key is configured. Backends are built lazily, per kid.
 */
export function symmetricVerifier(
  keys: readonly KeyConfig[],
  ctx: BackendContext,
): SymmetricVerifier | undefined {
  const hmacKeys = new Map(keys.filter((k) => k.alg === "hmac-sha256").map((k) => [k.kid, k]));
  if (hmacKeys.size === 0) return undefined;
  const backends = new Map<string, Promise<SigningBackend>>();
  return {
    async verify(kid, digest, signature) {
      const key = hmacKeys.get(kid);
      if (key === undefined) throw new Error("its secret is not in this configuration");
      let backend = backends.get(kid);
      if (backend === undefined) {
        backend = createBackend(key, ctx);
        backends.set(kid, backend);
      }
      return (await backend).verify(digest, signature);
    },
    async close() {
      const all = [...backends.values()];
      backends.clear();
      await Promise.allSettled(all.map(async (b) => (await b).close()));
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isKeyStatus(v: unknown): v is KeyStatus {
  return typeof v === "string" && (KEY_STATUSES as readonly string[]).includes(v);
}
