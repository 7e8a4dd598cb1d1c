import { createPublicKey, type KeyObject } from "node:crypto";
import { verifyDigest } from "@signing-proxy/client-sdk";
import type { Alg, KeyStatus } from "../algorithms.js";
import type { BackendContext, SigningBackend } from "../backends/backend.js";
import { createBackend } from "../backends/registry.js";
import type { KeyConfig } from "../config/types.js";
import { SignerError } from "../errors.js";
import type { KeyRecord, Store } from "../store/store.js";

/** A registered key with its backend when this process holds one. */
export interface RegisteredKey {
  readonly record: KeyRecord;
  readonly backend: SigningBackend | undefined;
}

/**
 * The key registry: configured backends joined with the persisted records (status, deployedAt,
 * public key). The store is the source of truth for status, so every replica agrees.
 */
export class KeyRegistry {
  readonly #store: Store;
  readonly #backends = new Map<string, SigningBackend>();
  readonly #publicKeys = new Map<string, KeyObject>();
  /** Last status read from the store per kid (for the signing hot path; see `signerCached`). */
  readonly #records = new Map<string, KeyRecord>();

  private constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Build backends for every configured key and register them. Refuses to start when a kid is
   * already registered with a different public key or algorithm: a silent key swap must be impossible.
   */
  static async open(store: Store, keys: readonly KeyConfig[], ctx: BackendContext): Promise<KeyRegistry> {
    const registry = new KeyRegistry(store);
    try {
      for (const key of keys) {
        const backend = await createBackend(key, ctx);
        registry.#backends.set(key.kid, backend);
        const pub = await backend.publicKey();
        const pem = pub ? (pub.export({ type: "spki", format: "pem" }) as string) : null;
        const now = new Date().toISOString();
        const record = await store.registerKey({
          kid: key.kid,
          alg: key.alg,
          publicKeyPem: pem,
          status: key.status,
          deployedAt: now,
          updatedAt: now,
          description: key.description,
          backend: backend.kind,
        });
        if (record.alg !== key.alg || record.publicKeyPem !== pem) {
          throw new Error(
            `key ${key.kid}: the registry already holds this kid with a different ${record.alg !== key.alg ? "algorithm" : "public key"}; use a new kid for a new key`,
          );
        }
        if (pub) registry.#publicKeys.set(key.kid, pub);
        registry.#records.set(key.kid, record);
      }
    } catch (err) {
      await registry.close();
      throw err;
    }
    return registry;
  }

  /** All registered keys (configured or only persisted), sorted by kid. */
  async list(): Promise<KeyRecord[]> {
    return this.#store.listKeys();
  }

  /** The record of one kid, or ERR_UNKNOWN_KID. */
  async get(kid: string): Promise<KeyRecord> {
    const record = await this.#store.getKey(kid);
    if (!record) throw new SignerError("ERR_UNKNOWN_KID", `unknown kid ${kid}`);
    this.#records.set(kid, record);
    return record;
  }

  /** The backend that may sign with `kid` now: the key must be active and held by this process. */
  async signer(kid: string): Promise<{ backend: SigningBackend; record: KeyRecord }> {
    return this.#signerFor(kid, await this.get(kid));
  }

  /**
   * Like `signer`, from the last status this process read instead of a store read per call. Only for
   * signatures whose audit event is recorded with `requireActive`: the audit log re-reads the status
   * from the store once per batch, just before commit, and refuses what a revocation (on any
   * replica) has overtaken, so nothing signed with a revoked key is released.
   */
  async signerCached(kid: string): Promise<{ backend: SigningBackend; record: KeyRecord }> {
    const cached = this.#records.get(kid);
    // Only "active" is taken from the cache (it is re-checked at commit); any other status is re-read,
    // so a key promoted on another replica signs here at once.
    return this.#signerFor(kid, cached?.status === "active" ? cached : await this.get(kid));
  }

  /** Which of `kids` are active in the store now (one read each); refreshes the cached statuses. */
  async activeKids(kids: readonly string[]): Promise<ReadonlySet<string>> {
    const records = await Promise.all(kids.map((kid) => this.#store.getKey(kid)));
    const active = new Set<string>();
    for (const record of records) {
      if (!record) continue;
      this.#records.set(record.kid, record);
      if (record.status === "active") active.add(record.kid);
    }
    return active;
  }

  #signerFor(kid: string, record: KeyRecord): { backend: SigningBackend; record: KeyRecord } {
    // Only active keys sign: candidates wait for promotion, retired and revoked keys never sign again.
    if (record.status !== "active") {
      throw new SignerError("ERR_KEY_NOT_ACTIVE", `key ${kid} is ${record.status} and cannot sign`);
    }
    const backend = this.#backends.get(kid);
    if (!backend) throw new SignerError("ERR_KEY_NOT_ACTIVE", `key ${kid} has no backend on this replica`);
    return { backend, record };
  }

  /** Verify a signature with a registered key; revoked keys never verify. */
  async verify(kid: string, digest: Buffer, signature: Buffer): Promise<{ valid: boolean; alg: Alg }> {
    const record = await this.get(kid);
    // A revoked key's signatures are no longer trusted, whatever their bytes.
    if (record.status === "revoked") return { valid: false, alg: record.alg };
    const backend = this.#backends.get(kid);
    if (backend) return { valid: await backend.verify(digest, signature), alg: record.alg };
    if (!record.publicKeyPem) {
      throw new SignerError(
        "ERR_KEY_NOT_ACTIVE",
        `key ${kid} is symmetric and has no backend on this replica`,
      );
    }
    const valid = verifyDigest({
      alg: record.alg,
      publicKey: this.#publicKey(kid, record.publicKeyPem),
      digestHex: digest.toString("hex"),
      signature,
    });
    return { valid, alg: record.alg };
  }

  /** Backends held by this process, for self-tests and shutdown. */
  backends(): ReadonlyMap<string, SigningBackend> {
    return this.#backends;
  }

  /** Change a key's status in the shared store. */
  async setStatus(kid: string, status: KeyStatus): Promise<KeyRecord> {
    await this.get(kid);
    const record = await this.#store.setKeyStatus(kid, status, new Date().toISOString());
    this.#records.set(kid, record);
    return record;
  }

  /** Close every backend (idempotent). */
  async close(): Promise<void> {
    const all = [...this.#backends.values()];
    this.#backends.clear();
    await Promise.allSettled(all.map((b) => b.close()));
  }

  #publicKey(kid: string, pem: string): KeyObject {
    let key = this.#publicKeys.get(kid);
    if (!key) {
      key = createPublicKey(pem);
      this.#publicKeys.set(kid, key);
    }
    return key;
  }
}
