import assert from "node:assert/strict";
import { type VerifyChainOptions, verifyAuditChain } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";
import { KEYS } from "./chain-fixture.js";

/** Verifier options trusting only the unit-test sealing key. */
export const opts: VerifyChainOptions = { keys: KEYS };

/** Verify `events`, assert that they fail, and return the first bad seq and reason. */
export async function firstBad(events: readonly unknown[], o: VerifyChainOptions = opts) {
  const report = await verifyAuditChain(events, o);
  assert.equal(report.ok, false, "the log must not verify");
  return report.firstBad;
}

/** Replace event `i` of `events` by `f(event)`. */
export function edit(events: readonly AuditEvent[], i: number, f: (e: AuditEvent) => object): unknown[] {
  return events.map((e, j) => (j === i ? f(e) : e));
}
