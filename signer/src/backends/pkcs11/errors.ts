import pkcs11js from "pkcs11js";

/** What to do after a PKCS#11 call failed. */
export type Recovery =
  /** The session is gone or unusable: drop the session pool and retry on a fresh session. */
  | "session"
  /** The user is not logged in (the token logged out): log in again and retry. */
  | "login"
  /** The cached object handle is stale (logout, re-insertion, deletion): find the key again. */
  | "handle"
  /** The token vanished or the library lost it: find the slot again, re-open, re-login. */
  | "token"
  /** Not recoverable by retrying (wrong mechanism, key not allowed to sign, …). */
  | "none";

const BY_CODE = new Map<number, Recovery>([
  [pkcs11js.CKR_SESSION_HANDLE_INVALID, "session"],
  [pkcs11js.CKR_SESSION_CLOSED, "session"],
  [pkcs11js.CKR_OPERATION_ACTIVE, "session"],
  [pkcs11js.CKR_USER_NOT_LOGGED_IN, "login"],
  [pkcs11js.CKR_OBJECT_HANDLE_INVALID, "handle"],
  [pkcs11js.CKR_KEY_HANDLE_INVALID, "handle"],
  [pkcs11js.CKR_DEVICE_REMOVED, "token"],
  [pkcs11js.CKR_TOKEN_NOT_PRESENT, "token"],
  [pkcs11js.CKR_TOKEN_NOT_RECOGNIZED, "token"],
  [pkcs11js.CKR_SLOT_ID_INVALID, "token"],
  [pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED, "token"],
]);

/** PIN results after which logging in again could only lock the token. */
const PIN_REFUSALS = new Set<number>([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
  pkcs11js.CKR_PIN_EXPIRED,
  pkcs11js.CKR_PIN_LOCKED,
]);

/** The CK_RV of a pkcs11js error, or undefined for other errors. */
export function ckrCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" && /^CKR_/.test(err.message) ? code : undefined;
}

/**
 * A short, loggable name for a failed call: the CKR_ constant, or the error class. pkcs11js puts
 * only the constant in its messages, so no PIN or key material can appear here.
 */
export function ckrName(err: unknown): string {
  if (ckrCode(err) !== undefined) return (err as Error).message.split(/[:\s]/, 1)[0] ?? "CKR_?";
  return err instanceof Error ? err.name : "unknown error";
}

/** How to recover from a failed call. */
export function recoveryFor(err: unknown): Recovery {
  const code = ckrCode(err);
  return code === undefined ? "none" : (BY_CODE.get(code) ?? "none");
}

/** True when the token refused the PIN itself (wrong, expired or locked). */
export function isPinRefusal(err: unknown): boolean {
  const code = ckrCode(err);
  return code !== undefined && PIN_REFUSALS.has(code);
}

/** True for CKR_USER_ALREADY_LOGGED_IN: another session of this process logged in first. */
export function isAlreadyLoggedIn(err: unknown): boolean {
  return ckrCode(err) === pkcs11js.CKR_USER_ALREADY_LOGGED_IN;
}

/**
 * A message-safe description of a failure: the CKR_ name (with plain words for PIN refusals) for
 * PKCS#11 errors, the first line of our own messages otherwise. Never a PIN: pkcs11js messages hold
 * only the constant, and ours never include one.
 */
export function describeFailure(err: unknown): string {
  const name = ckrName(err);
  if (name === "CKR_PIN_INCORRECT") return "the token rejected the PIN (CKR_PIN_INCORRECT)";
  if (name === "CKR_PIN_LOCKED") return "the token's user PIN is locked (CKR_PIN_LOCKED)";
  if (name.startsWith("CKR_")) return name;
  return err instanceof Error ? (err.message.split("\n", 1)[0] ?? "").slice(0, 300) : String(err);
}
