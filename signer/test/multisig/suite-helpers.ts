import assert from "node:assert/strict";
import { SignerError } from "../../src/errors.js";
import type { Store } from "../../src/store/store.js";
import { type Harness, openHarness, POLICY } from "./harness.js";

/** A fresh, empty, not yet migrated store per call. */
export type OpenStore = () => Promise<Store>;

/** Run `fn` with a harness on a fresh store, always closing it. */
export async function withHarness(open: OpenStore, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await openHarness(await open());
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Assert that `promise` is refused with `code`. */
export async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SignerError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** alice proposes `manifest` under the 3-of-5 policy. */
export async function propose(h: Harness, manifest: Record<string, unknown>) {
  return h.coordinator.propose(h.ops[0]!, POLICY.id, manifest, "req-propose");
}

/** Operator `i` approves with its own key, the proxy signing. */
export async function approveBy(h: Harness, id: string, i: number) {
  const who = h.ops[i]!;
  return h.coordinator.approve(who, id, { kid: [...who.keys][0]! }, `req-approve-${i}`);
}

/** `op:result` of every audit event so far. */
export async function auditOps(h: Harness): Promise<string[]> {
  return (await h.store.readAuditEvents(0, 1000)).map((e) => `${e.op}:${e.result}`);
}
