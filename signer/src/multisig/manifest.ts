import { createHash } from "node:crypto";
import { CanonicalizationError, canonicalize } from "@signing-proxy/client-sdk";
import { KID_PATTERN } from "../config/file-schema.js";
import { SignerError } from "../errors.js";

/** The kinds of manifest operators approve (DESIGN.md A5). */
export const MANIFEST_TYPES = Object.freeze([
  "upgrade",
  "rollback",
  "key-promotion",
  "key-revocation",
] as const);
/** One manifest kind. */
export type ManifestType = (typeof MANIFEST_TYPES)[number];

/** Longest a proposal may stay open: approvals gathered over weeks no longer reflect one decision. */
export const MAX_PROPOSAL_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** Manifests are small documents; these bounds keep canonicalization and storage cheap. */
export const MANIFEST_LIMITS = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 16 });

/** A validated manifest with its canonical text and digest. */
export interface ParsedManifest {
  readonly type: ManifestType;
  readonly target: string;
  readonly version: number;
  readonly expires: string;
  readonly expiresMs: number;
  readonly rollbackTo?: number;
  readonly kid?: string;
  readonly replaces?: string;
  /** RFC 8785 text of the whole manifest (extra fields included): what `digestHex` is over. */
  readonly canonical: string;
  readonly digestHex: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** Milliseconds of an RFC 3339 date-time, or NaN; Date.parse alone would roll 02-30 over to March. */
function rfc3339Ms(text: string): number {
  const m = RFC3339.exec(text);
  if (m === null) return Number.NaN;
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, oh = 0, om = 0] = m
    .slice(1)
    .map((v) => Number(v ?? 0));
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const ok = mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && sec <= 59;
  // Offsets beyond ±23:59 do not exist.
  if (!ok || oh > 23 || om > 59) return Number.NaN;
  return Date.parse(text);
}
const TARGET = /^[\x21-\x7e]{1,256}$/;

function invalid(message: string): SignerError {
  return new SignerError("ERR_VALIDATION", `manifest ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kidField(m: Record<string, unknown>, name: "kid" | "replaces"): string | undefined {
  const value = m[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !KID_PATTERN.test(value)) throw invalid(`${name} must be a kid`);
  return value;
}

/**
 * Validate a manifest (docs/multisig.md) at `nowMs` and compute its digest: the SHA-256 of its
 * RFC 8785 bytes. Fields beyond the known ones (artifact digests, notes) are allowed and signed.
 */
export function parseManifest(raw: unknown, nowMs: number): ParsedManifest {
  if (!isRecord(raw)) throw invalid("must be a JSON object");
  const { type, target, version, expires, rollbackTo } = raw;
  if (typeof type !== "string" || !(MANIFEST_TYPES as readonly string[]).includes(type)) {
    throw invalid(`type must be one of ${MANIFEST_TYPES.join(", ")}`);
  }
  if (typeof target !== "string" || !TARGET.test(target)) {
    throw invalid("target must be 1 to 256 printable ASCII characters without spaces");
  }
  // Versions order approvals per target; only exact integers compare reliably across languages.
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw invalid("version must be a positive integer");
  }
  const expiresText = typeof expires === "string" ? expires : "";
  const expiresMs = rfc3339Ms(expiresText);
  if (!Number.isFinite(expiresMs)) throw invalid("expires must be an RFC 3339 date-time with a time zone");
  // An expiry in the past could never be approved; one far away keeps stale approvals alive.
  if (expiresMs <= nowMs) throw invalid("expires must be in the future");
  if (expiresMs > nowMs + MAX_PROPOSAL_LIFETIME_MS) throw invalid("expires must be at most 30 days ahead");
  const kid = kidField(raw, "kid");
  const replaces = kidField(raw, "replaces");
  const keyManifest = type === "key-promotion" || type === "key-revocation";
  // Each field means one thing for one type: a stray field would be signed but silently ignored.
  if (keyManifest && kid === undefined) throw invalid(`${type} needs kid`);
  if (!keyManifest && (kid !== undefined || replaces !== undefined)) {
    throw invalid("kid and replaces belong to key-promotion and key-revocation manifests");
  }
  if (type !== "key-promotion" && replaces !== undefined) throw invalid("replaces belongs to key-promotion");
  if (replaces !== undefined && replaces === kid) throw invalid("a key cannot replace itself");
  if (type === "rollback") {
    // A rollback is a new, higher version pointing at an older one: that is the rollback protection.
    if (typeof rollbackTo !== "number" || !Number.isSafeInteger(rollbackTo) || rollbackTo < 1) {
      throw invalid("a rollback needs rollbackTo, the positive integer version it returns to");
    }
    if (rollbackTo >= version) throw invalid("rollbackTo must be below version");
  } else if (rollbackTo !== undefined) {
    throw invalid("rollbackTo belongs to rollback manifests");
  }
  const canonical = canonicalText(raw);
  return Object.freeze({
    type: type as ManifestType,
    target,
    version,
    expires: expiresText,
    expiresMs,
    ...(type === "rollback" ? { rollbackTo: rollbackTo as number } : {}),
    ...(kid !== undefined ? { kid } : {}),
    ...(replaces !== undefined ? { replaces } : {}),
    canonical,
    digestHex: createHash("sha256").update(canonical, "utf8").digest("hex"),
  } as ParsedManifest);
}

function canonicalText(raw: Record<string, unknown>): string {
  try {
    return canonicalize(raw, MANIFEST_LIMITS);
  } catch (err) {
    if (err instanceof CanonicalizationError) {
      const code = err.reason === "too-large" ? "ERR_PAYLOAD_TOO_LARGE" : "ERR_CANONICALIZATION";
      throw new SignerError(code, `manifest: ${err.message}`.slice(0, 200));
    }
    throw err;
  }
}
