// Concurrent signing load for the audit end-to-end tests, and the checks that tie what clients
// received to the committed audit log.
import assert from "node:assert/strict";
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Agent, request } from "undici";
import type { AuditEvent } from "../../signer/src/store/store.js";
import { runSigner } from "../helpers/cli.js";
import { AUDIT_KID, type SignerSetup } from "../helpers/process-fixture.js";

/** A signature a client received, with the audit seq the service reported for it. */
export interface Received {
  readonly digestHex: string;
  readonly kid: string;
  readonly signature: string;
  readonly auditSeq: number;
  readonly op: "sign.hash" | "sign.batch";
}

/** Where a client sends its next request; undefined while no server is up. */
export type Target = () => { readonly url: string; readonly agent: Agent } | undefined;

/** Options of runLoad. */
export interface LoadOptions {
  readonly target: Target;
  readonly clients: number;
  /** Stop issuing new requests once aborted. */
  readonly signal: AbortSignal;
  /** Every n-th request of a client is a /sign/batch of `batchSize` items (0: never). */
  readonly batchEvery?: number;
  readonly batchSize?: number;
}

/** A running load: what it collected so far, and a promise that settles when every client stopped. */
export interface LoadRun {
  /** Grows while the load runs. */
  readonly received: Received[];
  /** Failed requests by reason (`status:code` or the transport error's code). */
  readonly failures: Map<string, number>;
  readonly done: Promise<void>;
}

type Json = Record<string, unknown>;

function asResult(value: unknown, digestHex: string, op: Received["op"]): Received {
  const r = value as Json;
  // A 200 must carry exactly the digest that was asked for, with an integer auditSeq.
  assert.equal(r.digestHex, digestHex);
  assert.ok(Number.isSafeInteger(r.auditSeq), `auditSeq ${String(r.auditSeq)}`);
  assert.equal(typeof r.signature, "string");
  return {
    digestHex,
    kid: r.kid as string,
    signature: r.signature as string,
    auditSeq: r.auditSeq as number,
    op,
  };
}

/** Start `clients` loops of /sign/hash (and /sign/batch) until `signal` aborts; transport errors are counted, not thrown. */
export function startLoad(opts: LoadOptions): LoadRun {
  const received: Received[] = [];
  const failures = new Map<string, number>();
  const fail = (reason: string) => failures.set(reason, (failures.get(reason) ?? 0) + 1);
  const batchEvery = opts.batchEvery ?? 0;
  const batchSize = opts.batchSize ?? 4;
  const client = async (id: number) => {
    for (let n = 0; !opts.signal.aborted; n++) {
      const target = opts.target();
      if (!target) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const batch = batchEvery > 0 && (n + id) % batchEvery === 0;
      const digests = Array.from({ length: batch ? batchSize : 1 }, () => randomBytes(32).toString("hex"));
      const path = batch ? "/sign/batch" : "/sign/hash";
      const body = batch ? { items: digests.map((digestHex) => ({ digestHex })) } : { digestHex: digests[0] };
      let status: number;
      let parsed: unknown;
      try {
        const res = await request(`${target.url}${path}`, {
          method: "POST",
          dispatcher: target.agent,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        status = res.statusCode;
        parsed = await res.body.json();
      } catch (err) {
        fail((err as { code?: string }).code ?? (err as Error).name);
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      if (status !== 200) {
        fail(`${status}:${((parsed as Json).error as Json | undefined)?.code as string}`);
        continue;
      }
      if (batch) {
        const results = (parsed as { results: unknown[] }).results;
        assert.equal(results.length, digests.length);
        for (const [i, r] of results.entries()) received.push(asResult(r, digests[i]!, "sign.batch"));
      } else {
        received.push(asResult(parsed, digests[0]!, "sign.hash"));
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i))).then(() => undefined);
  return { received, failures, done };
}

/** Every received signature verifies with the signing key's Ed25519 public key. */
export function assertSignaturesValid(received: readonly Received[], publicKeyPem: string): void {
  const key = createPublicKey(publicKeyPem);
  for (const r of received) {
    const ok = verify(null, Buffer.from(r.digestHex, "hex"), key, Buffer.from(r.signature, "base64"));
    assert.ok(ok, `signature for ${r.digestHex} does not verify`);
  }
}

/**
 * Every received signature has its own committed `ok` event at its auditSeq with the same digest,
 * kid and op; and the log holds at least as many `ok` signing events as signatures were received.
 */
export function assertEveryReceivedAudited(
  events: readonly AuditEvent[],
  received: readonly Received[],
): void {
  const seen = new Set<number>();
  for (const r of received) {
    const e = events[r.auditSeq];
    assert.ok(
      e,
      `no event at auditSeq ${r.auditSeq} for a signature a client received (log has ${events.length})`,
    );
    assert.equal(e.seq, r.auditSeq);
    assert.equal(e.digestHex, r.digestHex, `event ${r.auditSeq} is for another digest`);
    assert.equal(e.kid, r.kid);
    assert.equal(e.op, r.op);
    assert.equal(e.result, "ok");
    // Two released signatures can never share one event.
    assert.ok(!seen.has(r.auditSeq), `two signatures claim auditSeq ${r.auditSeq}`);
    seen.add(r.auditSeq);
  }
  const okSigns = events.filter((e) => e.op.startsWith("sign.") && e.result === "ok").length;
  assert.ok(okSigns >= received.length, `${okSigns} ok sign events < ${received.length} signatures received`);
}

/** `signer audit verify --db --keys signers.json --json` on the setup's store, trusting only the audit key, reports `expected`. */
export function assertCliVerifies(setup: SignerSetup, expected: unknown): void {
  const signers = join(setup.dir, "signers.json");
  const audit = setup.keys.get(AUDIT_KID);
  assert.ok(audit);
  const entry = { signer_kid: AUDIT_KID, algorithm: audit.alg, public_key_pem: audit.publicKeyPem };
  writeFileSync(signers, JSON.stringify({ signers: [entry] }));
  const cli = runSigner(["audit", "verify", "--db", "--keys", signers, "--json"], { ...setup.env });
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), expected);
}
