import type { SigningBackend } from "../backends/backend.js";
import { SignerError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { AuditEvent, Store } from "../store/store.js";
import { type AuditInput, chainEvents } from "./event.js";

interface Pending {
  readonly inputs: readonly AuditInput[];
  /** Per input: the kid that must still be active when the batch commits, or null. */
  readonly requireActive: ReadonlyArray<string | null> | undefined;
  readonly resolve: (events: AuditEvent[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Options of the group-commit writer. */
export interface AuditLogOptions {
  readonly store: Store;
  /** Resolves the audit key's backend for each batch, so a key outage fails the batch closed. */
  readonly sealer: () => Promise<SigningBackend>;
  readonly auditKid: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Most events in one transaction. */
  readonly maxBatchEvents?: number;
  /**
   * Reads, once per batch and just before it commits, which of `kids` are active now (from the store,
   * so a revocation on another replica counts). Inputs recorded with `requireActive` whose kid is no
   * longer active are committed as refusals instead; their callers must not release the signature.
   */
  readonly activeKids?: (kids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Told the last seq of each committed batch (the transparency log issues checkpoints from it). */
  readonly onCommitted?: (lastSeq: number) => void;
}

/**
 * The fail-closed, group-committing audit log. `record` resolves only after its events are durably
 * committed and sealed; while one batch commits, new events queue and go together in the next one,
 * so throughput is not one transaction per request.
 */
export class AuditLog {
  readonly #opts: AuditLogOptions;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #running = false;
  #idle: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: AuditLogOptions) {
    this.#opts = opts;
    this.#maxBatch = opts.maxBatchEvents ?? 2048;
  }

  /**
   * Append events; resolves with them once committed, rejects with ERR_AUDIT_UNAVAILABLE otherwise.
   * `requireActive[i]` names a kid that must still be active at commit for input i to stand as given;
   * if it is not, the committed event's result is `refused:ERR_KEY_NOT_ACTIVE` (callers check `result`).
   */
  record(inputs: readonly AuditInput[], requireActive?: ReadonlyArray<string | null>): Promise<AuditEvent[]> {
    if (this.#closed) {
      return Promise.reject(new SignerError("ERR_AUDIT_UNAVAILABLE", "the audit log is shutting down"));
    }
    if (inputs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ inputs, requireActive, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        // Wait one turn of the event loop before committing: the requests whose bytes arrived in this
        // poll phase queue up meanwhile and share the transaction, the fsync and the seal.
        this.#idle = new Promise<void>((done) => setImmediate(() => this.#drain().then(done, done)));
      }
    });
  }

  /** Commit what is queued, then refuse new events. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        await this.#commit(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  #take(): Pending[] {
    const batch: Pending[] = [];
    let events = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (batch.length > 0 && events + next.inputs.length > this.#maxBatch) break;
      batch.push(next);
      events += next.inputs.length;
      this.#queue.shift();
    }
    return batch;
  }

  async #commit(batch: Pending[]): Promise<void> {
    const { store, metrics, auditKid } = this.#opts;
    const started = process.hrtime.bigint();
    let inputs: readonly AuditInput[] = batch.flatMap((p) => p.inputs);
    try {
      // Both reads before the append, concurrently: on PostgreSQL each is a round trip, and the head
      // row stays locked only for hashing, sealing and writing.
      const [checked, sealer] = await Promise.all([this.#checkActive(batch, inputs), this.#opts.sealer()]);
      inputs = checked;
      const committed = await store.appendAuditBatch(async (head) => {
        const events = chainEvents(head, inputs, auditKid, new Date().toISOString());
        // Seal: the audit key signs the last hash, authenticating the batch and everything before it.
        const last = events[events.length - 1]!;
        const signature = await sealer.sign(Buffer.from(last.hash, "hex"));
        events[events.length - 1] = { ...last, signature: signature.toString("base64") };
        return events;
      });
      metrics.auditAppendSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      metrics.auditBatchSize.observe(committed.length);
      const last = committed[committed.length - 1];
      if (last) this.#opts.onCommitted?.(last.seq);
      let offset = 0;
      for (const p of batch) {
        p.resolve(committed.slice(offset, offset + p.inputs.length));
        offset += p.inputs.length;
      }
    } catch (err) {
      metrics.auditFailures.inc({ reason: err instanceof Error ? err.name : "unknown" });
      this.#opts.logger.error({ err, events: inputs.length }, "audit batch could not be committed");
      // Fail closed: no caller of this batch gets its result.
      const refusal = new SignerError("ERR_AUDIT_UNAVAILABLE", "the audit event could not be committed", {
        cause: err,
      });
      for (const p of batch) p.reject(refusal);
    }
  }

  /** Turn inputs whose required kid is no longer active into refusals (one status read per batch). */
  async #checkActive(
    batch: readonly Pending[],
    inputs: readonly AuditInput[],
  ): Promise<readonly AuditInput[]> {
    const read = this.#opts.activeKids;
    if (!read) return inputs;
    const kids = new Set<string>();
    for (const p of batch) for (const kid of p.requireActive ?? []) if (kid !== null) kids.add(kid);
    if (kids.size === 0) return inputs;
    const active = await read([...kids]);
    return batch.flatMap((p) =>
      p.inputs.map((input, j) => {
        const kid = p.requireActive?.[j];
        if (kid == null || active.has(kid)) return input;
        return { ...input, alg: null, result: "refused:ERR_KEY_NOT_ACTIVE" };
      }),
    );
  }
}
