import pkcs11js from "pkcs11js";
import type { Pkcs11Api } from "./module.js";

/** Which token a URI means: any combination of label, serial and slot id (all must match). */
export interface TokenSelector {
  readonly token?: string;
  readonly serial?: string;
  readonly slotId?: bigint;
}

/** A slot handle as pkcs11js gives it (a little-endian CK_ULONG) → CK_SLOT_ID. */
export function slotIdOf(slot: Buffer): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
}

/** `token "signer"`, `serial 1234, slot 7`, or `any token`, for messages and map keys. */
export function describeSelector(selector: TokenSelector): string {
  const parts = [
    selector.token !== undefined ? `token ${JSON.stringify(selector.token)}` : "",
    selector.serial !== undefined ? `serial ${JSON.stringify(selector.serial)}` : "",
    selector.slotId !== undefined ? `slot ${selector.slotId}` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "any token";
}

/**
 * The one slot holding an initialized token that matches `selector`. Throws an Error naming what
 * is there when none or several match, so a typo in a label is easy to see.
 */
export function findSlot(api: Pkcs11Api, selector: TokenSelector): Buffer {
  const seen: string[] = [];
  const matches: Buffer[] = [];
  for (const slot of api.C_GetSlotList(true)) {
    const info = api.C_GetTokenInfo(slot);
    // An uninitialized token has no objects and no user PIN; it cannot hold the key.
    if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
    const label = info.label.trimEnd();
    const serial = info.serialNumber.trim();
    seen.push(JSON.stringify(label));
    const ok =
      (selector.token === undefined || selector.token === label) &&
      (selector.serial === undefined || selector.serial === serial) &&
      (selector.slotId === undefined || selector.slotId === slotIdOf(slot));
    if (ok) matches.push(slot);
  }
  const [first, second] = matches;
  if (first === undefined) {
    const present = seen.length > 0 ? `tokens present: ${seen.slice(0, 8).join(", ")}` : "no tokens present";
    throw new Error(`no initialized token matches ${describeSelector(selector)} (${present})`);
  }
  if (second !== undefined) {
    throw new Error(`${matches.length} tokens match ${describeSelector(selector)}; add serial= or slot-id=`);
  }
  return first;
}
