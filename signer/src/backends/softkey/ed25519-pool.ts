import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { spawnWorker } from "../../workers/spawn-worker.js";

/** A chunk for a pool worker: the key and the digests (32 bytes each, concatenated). */
export interface PoolRequest {
  readonly id: number;
  readonly key: KeyObject;
  readonly digests: Uint8Array;
}

/** A worker's answer: the 64-byte signatures concatenated in order, or why it failed. */
export type PoolReply =
  | { readonly id: number; readonly signatures: Uint8Array }
  | { readonly id: number; readonly error: string };

/** Digests per chunk: large enough that a message costs little per signature, small enough to spread. */
const CHUNK = 64;

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>;
}

/**
 * Signs large Ed25519 batches on worker threads, so a /sign/batch uses every core instead of the
 * event loop's one (the key is cloned to the worker with each chunk: same process, same memory).
 * Workers start on first use, are unref'd while idle (they never keep the process alive) and are
 * replaced after a failure.
 */
export class Ed25519Pool {
  readonly #size: number;
  readonly #slots: Array<Slot | undefined> = [];
  #next = 0;
  #nextId = 1;

  constructor(size = Math.max(1, availableParallelism())) {
    this.#size = size;
  }

  /** Sign every digest with `key`; resolves with the signatures in order. */
  async signAll(key: KeyObject, digests: readonly Buffer[]): Promise<Buffer[]> {
    const chunks: Array<Promise<Buffer>> = [];
    for (let i = 0; i < digests.length; i += CHUNK) {
      chunks.push(this.#run(key, Buffer.concat(digests.slice(i, i + CHUNK))));
    }
    const out: Buffer[] = [];
    for (const sigs of await Promise.all(chunks)) {
      for (let j = 0; j < sigs.length; j += 64) out.push(sigs.subarray(j, j + 64));
    }
    return out;
  }

  #run(key: KeyObject, digests: Buffer): Promise<Buffer> {
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#size;
    const slot = this.#slots[index] ?? this.#spawn(index);
    const id = this.#nextId++;
    if (slot.pending.size === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, key, digests } satisfies PoolRequest);
    });
  }

  #spawn(index: number): Slot {
    const slot: Slot = {
      worker: spawnWorker(import.meta.url, "ed25519-pool-worker", null),
      pending: new Map(),
    };
    slot.worker.unref();
    slot.worker.on("message", (reply: PoolReply) => {
      const waiter = slot.pending.get(reply.id);
      if (!waiter) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if ("error" in reply) waiter.reject(new Error(`ed25519 pool: ${reply.error}`));
      else
        waiter.resolve(
          Buffer.from(reply.signatures.buffer, reply.signatures.byteOffset, reply.signatures.byteLength),
        );
    });
    const fail = (err: Error) => {
      // Fail what this worker held; the next chunk for this slot starts a new worker.
      if (this.#slots[index] === slot) this.#slots[index] = undefined;
      for (const waiter of slot.pending.values()) waiter.reject(err);
      slot.pending.clear();
    };
    slot.worker.on("error", fail);
    slot.worker.on("exit", (code) => fail(new Error(`ed25519 pool worker exited with ${code}`)));
    this.#slots[index] = slot;
    return slot;
  }
}

/** The process-wide pool every software Ed25519 key shares. */
export const ed25519Pool = new Ed25519Pool();
