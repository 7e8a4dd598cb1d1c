import { createHash, randomUUID } from "node:crypto";
import type { AuditEvent, AuditHead, KeyRecord, Store } from "../../src/store/store.js";

/** The prevHash of the first event (64 zeros). */
export const ZERO_HASH = "0".repeat(64);

/** Lowercase hex SHA-256 of a string (stand-in for real event hashing). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** One test event at `seq` linked to `prevHash`; the hash is unique per call. */
export function makeEvent(seq: number, prevHash: string, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    seq,
    ts: "2025-06-01T12:00:00.123Z",
    principal: "memory-layer",
    op: "sign.hash",
    kid: "audit-ed25519-v1",
    alg: "ed25519",
    digestHex: sha256Hex(`digest-${seq}`),
    result: "ok",
    requestId: `req-${seq}`,
    auditKid: "log-ed25519-v1",
    prevHash,
    hash: sha256Hex(`${seq}/${prevHash}/${randomUUID()}`),
    signature: null,
    ...over,
  };
}

/** `n` events continuing `head`, the last one sealed like the real writer does. */
export function continueChain(
  head: AuditHead | null,
  n: number,
  over: Partial<AuditEvent> = {},
): AuditEvent[] {
  const events: AuditEvent[] = [];
  let seq = head === null ? 0 : head.seq + 1;
  let prev = head === null ? ZERO_HASH : head.hash;
  for (let i = 0; i < n; i++) {
    const seal = i === n - 1 ? { signature: Buffer.from(`seal-${seq}`).toString("base64") } : {};
    const event = makeEvent(seq, prev, { ...seal, ...over });
    events.push(event);
    seq += 1;
    prev = event.hash;
  }
  return events;
}

/** A key record with sensible defaults. */
export function makeKey(kid: string, over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    kid,
    alg: "ed25519",
    publicKeyPem:
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
    status: "active",
    deployedAt: "2025-06-01T00:00:00Z",
    updatedAt: "2025-06-01T00:00:00Z",
    description: "test key",
    backend: "softkey",
    ...over,
  };
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Returns a fresh, empty, not yet migrated store each call. */
export type OpenTestStore = () => Promise<Store>;

/** Open a fresh store, migrate it, run `fn`, and always close it. */
export async function withStore(open: OpenTestStore, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
  }
}
