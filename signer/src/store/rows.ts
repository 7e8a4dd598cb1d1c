import { isAlg, KEY_STATUSES, type KeyStatus } from "../algorithms.js";
import type { AuditEvent, AuditHead, KeyRecord } from "./store.js";

/** A `keys` row as both drivers return it. */
export interface KeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly public_key_pem: string | null;
  readonly status: string;
  readonly deployed_at: string;
  readonly updated_at: string;
  readonly description: string;
  readonly backend: string;
}

/** An `audit_events` row; pg returns BIGINT as a string, better-sqlite3 as a number. */
export interface AuditEventRow {
  readonly seq: number | string;
  readonly ts: string;
  readonly principal: string;
  readonly op: string;
  readonly kid: string | null;
  readonly alg: string | null;
  readonly digest_hex: string | null;
  readonly result: string;
  readonly request_id: string;
  readonly audit_kid: string;
  readonly prev_hash: string;
  readonly hash: string;
  readonly signature: string | null;
}

/** The `audit_head` row; both columns are null while the chain is empty. */
export interface AuditHeadRow {
  readonly seq: number | string | null;
  readonly hash: string | null;
}

/** Column list of `audit_events` in insert order (matches eventParams). */
export const AUDIT_EVENT_COLUMNS = [
  "seq",
  "ts",
  "principal",
  "op",
  "kid",
  "alg",
  "digest_hex",
  "result",
  "request_id",
  "audit_kid",
  "prev_hash",
  "hash",
  "signature",
] as const;

/** Column list of `keys` in insert order (matches keyParams). */
export const KEY_COLUMNS = [
  "kid",
  "alg",
  "public_key_pem",
  "status",
  "deployed_at",
  "updated_at",
  "description",
  "backend",
] as const;

/** Parse a BIGINT column, refusing values JS numbers cannot represent exactly. */
export function toSeq(value: number | string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`store returned an invalid seq: ${String(value)}`);
  return n;
}

function isKeyStatus(value: string): value is KeyStatus {
  return (KEY_STATUSES as readonly string[]).includes(value);
}

/** Map a `keys` row to a KeyRecord, refusing values the schema should have prevented. */
export function keyFromRow(row: KeyRow): KeyRecord {
  // A row with an unknown alg or status must not be used to sign or verify anything.
  if (!isAlg(row.alg)) throw new Error(`key ${row.kid} has an unknown alg in the store`);
  if (!isKeyStatus(row.status)) throw new Error(`key ${row.kid} has an unknown status in the store`);
  return Object.freeze({
    kid: row.kid,
    alg: row.alg,
    publicKeyPem: row.public_key_pem,
    status: row.status,
    deployedAt: row.deployed_at,
    updatedAt: row.updated_at,
    description: row.description,
    backend: row.backend,
  });
}

/** Parameters for inserting a key, in KEY_COLUMNS order. */
export function keyParams(k: KeyRecord): (string | null)[] {
  return [k.kid, k.alg, k.publicKeyPem, k.status, k.deployedAt, k.updatedAt, k.description, k.backend];
}

/** Map an `audit_events` row to an AuditEvent. */
export function eventFromRow(row: AuditEventRow): AuditEvent {
  return Object.freeze({
    seq: toSeq(row.seq),
    ts: row.ts,
    principal: row.principal,
    op: row.op,
    kid: row.kid,
    alg: row.alg,
    digestHex: row.digest_hex,
    result: row.result,
    requestId: row.request_id,
    auditKid: row.audit_kid,
    prevHash: row.prev_hash,
    hash: row.hash,
    signature: row.signature,
  });
}

/** Parameters for inserting an event, in AUDIT_EVENT_COLUMNS order. */
export function eventParams(e: AuditEvent): (string | number | null)[] {
  return [
    e.seq,
    e.ts,
    e.principal,
    e.op,
    e.kid,
    e.alg,
    e.digestHex,
    e.result,
    e.requestId,
    e.auditKid,
    e.prevHash,
    e.hash,
    e.signature,
  ];
}

/** Map the `audit_head` row; null while no event has been committed. */
export function headFromRow(row: AuditHeadRow | undefined): AuditHead | null {
  if (row === undefined) throw new Error("audit_head row is missing; run migrations");
  if (row.seq === null || row.hash === null) return null;
  return Object.freeze({ seq: toSeq(row.seq), hash: row.hash });
}

/** Validate paging arguments shared by both backends. */
export function assertPaging(fromSeq: number, limit: number): void {
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 0)
    throw new RangeError("fromSeq must be a non-negative integer");
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError("limit must be a non-negative integer");
}
