import { AUDIT_EVENT_FIELDS } from "@signing-proxy/client-sdk";
import type { AuditEvent } from "../store/store.js";

/** The DESIGN.md A6 fields of an audit event, in A6 order (defined once, in client-sdk). */
export { AUDIT_EVENT_FIELDS };

type FieldKind = "seq" | "string" | "nullable" | "hex64";

const KIND: Readonly<Record<(typeof AUDIT_EVENT_FIELDS)[number], FieldKind>> = Object.freeze({
  seq: "seq",
  ts: "string",
  principal: "string",
  op: "string",
  kid: "nullable",
  alg: "nullable",
  digestHex: "nullable",
  result: "string",
  requestId: "string",
  auditKid: "string",
  prevHash: "hex64",
  hash: "hex64",
  signature: "nullable",
});

const HEX64 = /^[0-9a-f]{64}$/;
const FIELD_SET: ReadonlySet<string> = new Set(AUDIT_EVENT_FIELDS);

/** The outcome of {@link checkEventShape}: the typed event, or why the value is not one. */
export type ShapeResult =
  | { readonly ok: true; readonly event: AuditEvent }
  | { readonly ok: false; readonly reason: string };

/**
 * Check that `value` is an audit event with exactly the A6 fields and the right types. The verifier
 * trusts nothing it reads, so rows and JSONL lines both pass through here before anything is hashed.
 */
export function checkEventShape(value: unknown): ShapeResult {
  // Arrays and null are objects too; only a plain record can be an event.
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "not a JSON object" };
  }
  const record = value as Record<string, unknown>;
  // An extra field is unhashed data riding along with a verified event; refuse it.
  for (const key of Object.keys(record)) {
    if (!FIELD_SET.has(key)) return { ok: false, reason: `unexpected field ${JSON.stringify(key)}` };
  }
  for (const field of AUDIT_EVENT_FIELDS) {
    if (!Object.hasOwn(record, field)) return { ok: false, reason: `field ${field} is missing` };
    const problem = fieldProblem(KIND[field], record[field]);
    if (problem !== null) return { ok: false, reason: `field ${field} ${problem}` };
  }
  return { ok: true, event: record as unknown as AuditEvent };
}

function fieldProblem(kind: FieldKind, v: unknown): string | null {
  switch (kind) {
    case "seq":
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : "must be a non-negative integer";
    case "string":
      return typeof v === "string" ? null : "must be a string";
    case "nullable":
      return v === null || typeof v === "string" ? null : "must be a string or null";
    case "hex64":
      // One spelling per hash: the chain links compare these strings byte for byte.
      return typeof v === "string" && HEX64.test(v) ? null : "must be 64 lowercase hex characters";
  }
}
