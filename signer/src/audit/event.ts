import { createHash } from "node:crypto";
import { canonicalBytes } from "@signing-proxy/client-sdk";
import type { AuditEvent } from "../store/store.js";

/** The hash that links the first event of the chain. */
export const GENESIS_HASH = "0".repeat(64);

/** What a caller of the audit log supplies; the log adds seq, ts, auditKid, prevHash, hash, signature. */
export type AuditInput = Pick<
  AuditEvent,
  "principal" | "op" | "kid" | "alg" | "digestHex" | "result" | "requestId"
>;

/** An event before hashing: every A6 field except `hash` and `signature`. */
export type UnhashedEvent = Omit<AuditEvent, "hash" | "signature">;

/** `hash` per DESIGN.md A6: lowercase hex SHA-256 of the JCS bytes of the event without hash and signature. */
export function eventHash(event: UnhashedEvent): string {
  const body = {
    seq: event.seq,
    ts: event.ts,
    principal: event.principal,
    op: event.op,
    kid: event.kid,
    alg: event.alg,
    digestHex: event.digestHex,
    result: event.result,
    requestId: event.requestId,
    auditKid: event.auditKid,
    prevHash: event.prevHash,
  };
  return createHash("sha256").update(canonicalBytes(body)).digest("hex");
}

/** Chain `inputs` after `head`, hashing each; signatures are null (the writer seals the last). */
export function chainEvents(
  head: { seq: number; hash: string } | null,
  inputs: readonly AuditInput[],
  auditKid: string,
  ts: string,
): AuditEvent[] {
  let seq = head ? head.seq + 1 : 0;
  let prevHash = head ? head.hash : GENESIS_HASH;
  const out: AuditEvent[] = [];
  for (const input of inputs) {
    const unhashed: UnhashedEvent = { seq, ts, ...input, auditKid, prevHash };
    const hash = eventHash(unhashed);
    out.push({ ...unhashed, hash, signature: null });
    prevHash = hash;
    seq++;
  }
  return out;
}
