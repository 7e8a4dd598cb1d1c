// Published keys fetched once and kept for a TTL, for offline verification.
import { readFile } from "node:fs/promises";
import { request } from "undici";
import type { SignersDocument } from "./client-types.js";
import { type PublishedKey, parseKeyDocument, verifiableKeys } from "./key-set.js";
import { type SignatureInput, verifyDigest } from "./verify-digest.js";

/**
 * Where keys come from: an http(s) URL of the public `/keys` or `/.well-known/jwks.json` (the
 * management port serves both without a client certificate), a file path of a saved signers.json
 * or JWKS, a SigningProxyClient (its `getKeys()` over mTLS), or any function returning either document.
 */
export type KeySource = string | URL | { getKeys(): Promise<SignersDocument> } | (() => Promise<unknown>);

/** Options of {@link KeyCache}. */
export interface KeyCacheOptions {
  /** How long a fetched key set is used before it is fetched again; default 5 minutes. */
  readonly ttlMs?: number;
  /** An unknown kid refetches early, at most this often (so junk kids cannot flood the source); default 10 s. */
  readonly minRefreshIntervalMs?: number;
  /** Timeout of a URL fetch; default 10 s. */
  readonly timeoutMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** What {@link KeyCache.verifyDigest} checks: a signature by `kid` over the 32 bytes of `digestHex`. */
export interface KidVerifyInput {
  readonly kid: string;
  readonly digestHex: string;
  readonly signature: SignatureInput;
}

/**
 * Fetch the keys that verify offline — asymmetric and not revoked — by kid. HMAC keys are left out
 * (only the proxy holds their secret), as are revoked keys (their signatures no longer count).
 */
export async function fetchKeys(
  source: KeySource,
  options: { readonly timeoutMs?: number } = {},
): Promise<Map<string, PublishedKey>> {
  return verifiableKeys(parseKeyDocument(await loadDocument(source, options.timeoutMs ?? 10_000)));
}

/**
 * {@link fetchKeys} with a TTL: `get(kid)` answers from memory while the set is fresh, refetches
 * when it is stale or (rate-limited) when the kid is unknown, and shares one fetch among
 * concurrent callers. A failed fetch throws; nothing stale past its TTL is served.
 */
export class KeyCache {
  private keys: Map<string, PublishedKey> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<Map<string, PublishedKey>> | undefined;
  private readonly ttlMs: number;
  private readonly minRefreshMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: KeySource,
    options: KeyCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.minRefreshMs = options.minRefreshIntervalMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The key set, fetched when absent or older than the TTL. */
  async all(): Promise<ReadonlyMap<string, PublishedKey>> {
    if (this.keys !== undefined && this.now() - this.fetchedAt < this.ttlMs) return this.keys;
    return this.refresh();
  }

  /** One key by kid, or undefined when the source does not publish it (or it is revoked or HMAC). */
  async get(kid: string): Promise<PublishedKey | undefined> {
    const found = (await this.all()).get(kid);
    if (found !== undefined || this.now() - this.fetchedAt < this.minRefreshMs) return found;
    // A kid we have not seen may be a key promoted since the last fetch.
    return (await this.refresh()).get(kid);
  }

  /** verifyDigest with the published key of `kid`; false for an unknown or revoked kid. */
  async verifyDigest(input: KidVerifyInput): Promise<boolean> {
    const key = await this.get(input.kid);
    if (key === undefined || key.publicKey === null) return false;
    return verifyDigest({
      alg: key.alg,
      publicKey: key.publicKey,
      digestHex: input.digestHex,
      signature: input.signature,
    });
  }

  /** Fetch now (one fetch shared by concurrent callers). */
  refresh(): Promise<Map<string, PublishedKey>> {
    this.inflight ??= fetchKeys(this.source, { timeoutMs: this.timeoutMs })
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = this.now();
        return keys;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}

async function loadDocument(source: KeySource, timeoutMs: number): Promise<unknown> {
  if (typeof source === "function") return source();
  if (typeof source === "object" && !(source instanceof URL)) return source.getKeys();
  if (source instanceof URL && source.protocol === "file:") return readFile(source, "utf8");
  const text = String(source);
  if (!/^https?:\/\//i.test(text)) return readFile(text, "utf8");
  const res = await request(text, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${text} answered ${res.statusCode}`);
  // Text, so parseKeyDocument reads it with the strict parser (a duplicated field is refused).
  return body;
}
