import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { chainEvents, eventHash } from "../../src/audit/event.js";
import type { SealKey } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";
import { input } from "./log-fixture.js";

/** The kid the unit-test chains are sealed with. */
export const KID = "log-ed25519-v1";
/** A fixed event time, so chains are reproducible apart from their random digests. */
export const TS = "2025-06-01T12:00:00.123Z";

/** An Ed25519 key pair with its SPKI PEM. */
export function ed25519Pair(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, pem: publicKey.export({ type: "spki", format: "pem" }) as string };
}

/** The key that seals the unit-test chains, and the verifier's key map for it. */
export const SEALER = ed25519Pair();
export const KEYS: ReadonlyMap<string, SealKey> = new Map([
  [KID, { alg: "ed25519", publicKeyPem: SEALER.pem }],
]);

/** A seal over the event's hash exactly as the writer makes it (pure Ed25519 over the 32 bytes). */
export function sealWith(event: AuditEvent, privateKey: KeyObject = SEALER.privateKey): AuditEvent {
  return { ...event, signature: sign(null, Buffer.from(event.hash, "hex"), privateKey).toString("base64") };
}

/** A chain of batches of the given sizes, each sealed on its last event by `sealer`. */
export function sealedChain(
  sizes: readonly number[],
  sealer: (e: AuditEvent) => AuditEvent = (e) => sealWith(e),
  auditKid = KID,
): AuditEvent[] {
  const out: AuditEvent[] = [];
  let n = 0;
  for (const size of sizes) {
    const last = out.at(-1);
    const head = last === undefined ? null : { seq: last.seq, hash: last.hash };
    const batch = chainEvents(
      head,
      Array.from({ length: size }, () => input(n++)),
      auditKid,
      TS,
    );
    batch[batch.length - 1] = sealer(batch[batch.length - 1]!);
    out.push(...batch);
  }
  return out;
}

/** Recompute prevHash and hash from index `from` on, keeping signatures: a forger re-chaining. */
export function rechain(events: readonly AuditEvent[], from: number): AuditEvent[] {
  const out = events.slice(0, from);
  for (const e of events.slice(from)) {
    const prevHash = out.at(-1)?.hash ?? "0".repeat(64);
    const { hash: _h, signature, ...rest } = { ...e, prevHash };
    out.push({ ...rest, hash: eventHash(rest), signature });
  }
  return out;
}
