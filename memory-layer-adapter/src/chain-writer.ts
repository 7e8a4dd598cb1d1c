// Group commit for insertAuditEvent: the events waiting in one process for the same database and
// signer go in one transaction — one head lock, one /sign/batch round trip, one COMMIT. Appends are
// serialised on the head anyway, so this only removes waiting; every event still has its own hash
// and signature, and a failed sign still rolls every event of the transaction back.
import {
  isSigningProxyError,
  type SignBatchItem,
  type SignBatchResult,
  type SignResult,
} from "@signing-proxy/client-sdk";
import { type AuditEventRow, type HashedFields, recordHash } from "./audit-record.js";
import type { SignFailureReason } from "./metrics.js";
import { inTransaction, type PgPoolOrClient } from "./pg-types.js";

/** What signs audit digests: SigningProxyClient, or anything shaped like it. */
export interface AuditSigner {
  signAuditDigest(digestHex: string): Promise<SignResult>;
  /** When present, a transaction's digests are signed in one request (the default key, like signAuditDigest). */
  signBatch?(items: readonly SignBatchItem[]): Promise<SignBatchResult[]>;
}

/** One waiting event: its fields except prevHash and createdAt, which the batch assigns. */
export interface PendingEvent {
  readonly fields: Omit<HashedFields, "prevHash" | "createdAt">;
  readonly now: () => Date;
  readonly onSignFailure: (reason: SignFailureReason) => void;
  readonly resolve: (row: AuditEventRow) => void;
  readonly reject: (err: unknown) => void;
}

/** The event was not written: the signing proxy did not sign it, so the transaction rolled back. */
export class AuditSignError extends Error {
  readonly code = "ERR_AUDIT_SIGN_FAILED";
  readonly reason: SignFailureReason;

  constructor(reason: SignFailureReason, cause: unknown) {
    super(`audit event not written: the signing proxy did not sign it (${reason})`, { cause });
    this.name = "AuditSignError";
    this.reason = reason;
  }
}

/** Events per transaction; /sign/batch accepts up to 1024 digests. */
const MAX_BATCH = 256;
const writers = new WeakMap<PgPoolOrClient, WeakMap<AuditSigner, ChainWriter>>();

/** The writer for this database handle and signer (one per pair per process). */
export function chainWriter(pg: PgPoolOrClient, signer: AuditSigner): ChainWriter {
  let bySigner = writers.get(pg);
  if (!bySigner) {
    bySigner = new WeakMap();
    writers.set(pg, bySigner);
  }
  let writer = bySigner.get(signer);
  if (!writer) {
    writer = new ChainWriter(pg, signer);
    bySigner.set(signer, writer);
  }
  return writer;
}

/** Queues events and writes them a transaction at a time. */
export class ChainWriter {
  private queue: PendingEvent[] = [];
  private running = false;

  constructor(
    private readonly pg: PgPoolOrClient,
    private readonly signer: AuditSigner,
  ) {}

  /** Add an event; it settles when its transaction commits or fails. */
  enqueue(event: PendingEvent): void {
    this.queue.push(event);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const rows = await this.write(batch);
        for (const [i, e] of batch.entries()) e.resolve(rows[i]!);
      } catch (err) {
        for (const e of batch) e.reject(err);
      }
    }
    this.running = false;
  }

  private write(batch: readonly PendingEvent[]): Promise<AuditEventRow[]> {
    return inTransaction(this.pg, "BEGIN", async (client) => {
      // Serialise on the head row: across processes and replicas, one transaction appends at a time.
      const head = await client.query<{ hash: string }>(
        "SELECT hash FROM audit_chain_head WHERE singleton FOR UPDATE",
      );
      let prevHash = head.rows[0]?.hash;
      if (prevHash === undefined) throw new Error("audit_chain_head is empty: run migrate() first");
      // Chain the batch in order: each event's prevHash is the hash of the one before it.
      const chained = batch.map((e) => {
        const fields: HashedFields = { ...e.fields, prevHash: prevHash!, createdAt: e.now().toISOString() };
        const hash = recordHash(fields);
        prevHash = hash;
        return { fields, hash };
      });
      const signed = await this.sign(
        chained.map((c) => c.hash),
        batch,
      );
      const values: unknown[] = [];
      const tuples = chained.map((c, i) => {
        const s = signed[i]!;
        const p = values.length;
        values.push(
          c.fields.eventType,
          JSON.stringify(c.fields.payload),
          c.hash,
          c.fields.prevHash,
          s.signature,
        );
        values.push(s.kid, s.alg, c.fields.manifestSignatureId, c.fields.createdAt);
        return `($${p + 1}, $${p + 2}::jsonb, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}, $${p + 9})`;
      });
      // One statement; ids are matched back by hash, and must ascend along the chain (verifiers read in id order).
      const inserted = await client.query<{ id: string; hash: string }>(
        `INSERT INTO audit_events
           (event_type, payload, hash, prev_hash, signature, signer_kid, alg, manifest_signature_id, created_at)
         VALUES ${tuples.join(", ")} RETURNING id, hash`,
        values,
      );
      const idByHash = new Map(inserted.rows.map((r) => [r.hash, Number(r.id)]));
      const ids = chained.map((c) => idByHash.get(c.hash) ?? Number.NaN);
      if (ids.some((id, i) => !Number.isSafeInteger(id) || (i > 0 && id <= ids[i - 1]!))) {
        throw new Error("INSERT did not assign ascending ids along the chain");
      }
      await client.query("UPDATE audit_chain_head SET last_id = $1, hash = $2 WHERE singleton", [
        ids.at(-1),
        prevHash,
      ]);
      return chained.map((c, i) =>
        Object.freeze({
          id: ids[i]!,
          ...c.fields,
          hash: c.hash,
          signature: signed[i]!.signature,
          signerKid: signed[i]!.kid,
          alg: signed[i]!.alg,
        }),
      );
    });
  }

  /** Signatures for `digests`, in order; any failure fails them all (the chain cannot skip one). */
  private async sign(digests: readonly string[], batch: readonly PendingEvent[]): Promise<SignResult[]> {
    const fail = (reason: SignFailureReason, cause: unknown): never => {
      for (const e of batch) e.onSignFailure(reason);
      throw new AuditSignError(reason, cause);
    };
    let results: readonly (SignResult | SignBatchResult)[];
    try {
      results =
        this.signer.signBatch !== undefined && digests.length > 1
          ? await this.signer.signBatch(digests.map((digestHex) => ({ digestHex })))
          : await Promise.all(digests.map((d) => this.signer.signAuditDigest(d)));
    } catch (err) {
      return fail(failureReason(err), err);
    }
    const out: SignResult[] = [];
    for (const [i, r] of results.entries()) {
      if ("error" in r) return fail("refused", new Error(`${r.error.code}: ${r.error.message}`));
      // Store only a signature over this row's hash (the SDK client checks this too).
      if (r.digestHex.toLowerCase() !== digests[i] || typeof r.signature !== "string") {
        return fail("invalid_response", new Error("the proxy signed another digest"));
      }
      out.push(r);
    }
    if (out.length !== digests.length) return fail("invalid_response", new Error("missing signatures"));
    return out;
  }
}

function failureReason(err: unknown): SignFailureReason {
  if (!isSigningProxyError(err)) return "error";
  if (err.status === 503 || err.status === 429) return "unavailable";
  if (["ERR_CONNECTION", "ERR_TIMEOUT", "ERR_CLIENT_CLOSED"].includes(err.code)) return "unavailable";
  if (err.code === "ERR_UNEXPECTED_RESPONSE") return "invalid_response";
  return "refused";
}
