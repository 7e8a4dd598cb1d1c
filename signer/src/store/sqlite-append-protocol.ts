import type { Worker } from "node:worker_threads";
import { spawnWorker } from "../workers/spawn-worker.js";
import type { AuditHead } from "./store.js";
import { StoreConflictError, StoreUnavailableError } from "./store.js";

/** One batch for the append worker: the rows, the head they were built on and the head after them. */
export interface AppendRequest {
  readonly id: number;
  readonly expected: AuditHead | null;
  readonly next: AuditHead;
  readonly rows: ReadonlyArray<ReadonlyArray<string | number | null>>;
}

/** The worker's answer. */
export type AppendReply =
  | { readonly id: number; readonly ok: true }
  | {
      readonly id: number;
      readonly ok: false;
      readonly kind: "conflict" | "unavailable" | "other";
      readonly message: string;
    };

/** Client side of the append worker: one request in flight per call, answered in order. */
export class AppendWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;

  constructor(path: string) {
    this.#worker = spawnWorker(import.meta.url, "sqlite-append-worker", { path });
    this.#worker.on("message", (reply: AppendReply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (reply.ok) waiter.resolve();
      else if (reply.kind === "conflict") waiter.reject(new StoreConflictError(reply.message));
      else waiter.reject(new StoreUnavailableError(`sqlite append failed: ${reply.message}`));
    });
    const fail = (err: Error) => {
      // A dead writer fails every waiting append closed; the store reports unavailable from then on.
      this.#failed = new StoreUnavailableError("sqlite append worker stopped", { cause: err });
      for (const waiter of this.#pending.values()) waiter.reject(this.#failed);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`exit ${code}`)));
    this.#worker.unref();
  }

  /** Commit one batch in the worker. */
  append(req: Omit<AppendRequest, "id">): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    // Keep the process alive only while a commit is in flight (an idle writer must not block exit).
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...req, id });
    });
  }

  /** Close the worker's connection and stop it. */
  async close(): Promise<void> {
    if (this.#failed) return;
    const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage("close");
    await exited;
  }
}
