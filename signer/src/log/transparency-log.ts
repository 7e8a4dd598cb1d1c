import {
  formatCheckpoint,
  formatVerifierKey,
  leafHash,
  logLeafData,
  openCheckpoint,
  parseVerifierKey,
  signNote,
  verifyConsistency,
} from "@signing-proxy/client-sdk";
import { messageSigning } from "../backends/message-signing.js";
import { SignerError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { KeyRegistry } from "../registry/key-registry.js";
import type { CheckpointRecord } from "../store/log-checkpoints.js";
import type { Store } from "../store/store.js";
import { MerkleTree } from "./merkle-tree.js";

/** Options of the transparency log (docs/transparency-log.md). */
export interface TransparencyLogOptions {
  readonly store: Store;
  readonly registry: KeyRegistry;
  readonly logKid: string;
  readonly origin: string;
  readonly logger: Logger;
  /** Issue a checkpoint once this many events are not yet covered (default 1000). */
  readonly maxPendingEvents?: number;
  /** Issue a checkpoint at least this often while events are pending (default 5000 ms). */
  readonly intervalMs?: number;
}

const PAGE = 1000;

/**
 * The Merkle tree over the audit events (leaf i = RFC 8785 bytes of event seq i) and its signed
 * C2SP checkpoints. Every replica builds the tree from the shared audit_events table and stores
 * checkpoints in the shared store; a checkpoint is signed only after the tree is shown consistent
 * with the latest stored one.
 */
export class TransparencyLog {
  readonly verifierKey: string;
  readonly origin: string;
  readonly #opts: TransparencyLogOptions;
  readonly #tree = new MerkleTree();
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #syncing: Promise<void> = Promise.resolve();
  #latestSize = 0;

  private constructor(opts: TransparencyLogOptions, verifierKey: string) {
    this.#opts = opts;
    this.origin = opts.origin;
    this.verifierKey = verifierKey;
  }

  /** Check the log key, load the tree, issue a checkpoint for it and start the timer. */
  static async open(opts: TransparencyLogOptions): Promise<TransparencyLog> {
    const { backend } = await opts.registry.signer(opts.logKid);
    const pub = await backend.publicKey();
    // Notes sign their text with pure Ed25519; a backend that only signs digests cannot issue them.
    if (!pub || !messageSigning(backend)) {
      throw new Error(
        `logKid ${opts.logKid}: the backend cannot sign C2SP notes (needs an ed25519 softkey:, pkcs11: or awskms: key)`,
      );
    }
    const log = new TransparencyLog(opts, formatVerifierKey(opts.origin, pub));
    // An inconsistent history was logged loudly by #issue; keep serving, but never sign over it.
    await log.checkpoint().catch((err) => log.#report(err));
    const timer = setInterval(() => {
      log.checkpoint().catch((err) => log.#report(err));
    }, opts.intervalMs ?? 5000);
    timer.unref();
    log.#timer = timer;
    return log;
  }

  /** Called after an audit batch commits: issue early once enough events are pending. */
  noteCommitted(lastSeq: number): void {
    if (lastSeq + 1 - this.#latestSize >= (this.#opts.maxPendingEvents ?? 1000)) {
      this.checkpoint().catch((err) => this.#report(err));
    }
  }

  /** Issue a checkpoint for every committed event (serialised); returns the latest stored one. */
  checkpoint(): Promise<CheckpointRecord> {
    const run = this.#chain.then(() => this.#issue());
    this.#chain = run.catch(() => {});
    return run;
  }

  /** The latest stored checkpoint, or null before the first one. */
  latest(): Promise<CheckpointRecord | null> {
    return this.#opts.store.latestCheckpoint();
  }

  /** Inclusion proof of leaf `index` in the tree of `size` (both within the loaded tree). */
  async inclusionProof(index: number, size: number): Promise<Buffer[]> {
    await this.#covering(size);
    if (index >= size) throw new SignerError("ERR_VALIDATION", "index must be below size");
    return this.#tree.inclusionProof(index, size);
  }

  /** Consistency proof between tree sizes `from` and `to` (1 ≤ from ≤ to). */
  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    await this.#covering(to);
    if (from < 1 || from > to) throw new SignerError("ERR_VALIDATION", "need 1 <= from <= to");
    return this.#tree.consistencyProof(from, to);
  }

  /** Stop the timer and wait for a checkpoint in progress. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#chain;
  }

  #report(err: unknown): void {
    this.#opts.logger.error({ err }, "transparency log checkpoint not issued");
  }

  async #covering(size: number): Promise<void> {
    if (size > this.#tree.size) await this.#sync();
    if (size > this.#tree.size) throw new SignerError("ERR_NOT_FOUND", "the log is not that large yet");
  }

  /** Append the leaves of events committed since the last sync; concurrent callers queue. */
  #sync(): Promise<void> {
    const run = this.#syncing.then(() => this.#readNewLeaves());
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #readNewLeaves(): Promise<void> {
    for (;;) {
      const events = await this.#opts.store.readAuditEvents(this.#tree.size, PAGE);
      for (const e of events) {
        // Leaf index = seq: a gap would silently shift every later leaf.
        if (e.seq !== this.#tree.size) throw new Error(`audit event ${this.#tree.size} is missing`);
        this.#tree.append(leafHash(logLeafData(e)));
      }
      if (events.length < PAGE) return;
    }
  }

  async #issue(): Promise<CheckpointRecord> {
    const { store, logger, origin } = this.#opts;
    await this.#sync();
    const size = this.#tree.size;
    const latest = await store.latestCheckpoint();
    const root = this.#tree.root(size);
    if (latest) {
      // Each issue re-checks the stored history, so a truncated or rewritten log is caught here.
      this.#assertExtends(latest, size, root);
      if (latest.size === size) {
        this.#latestSize = size;
        return latest;
      }
    }
    const { backend } = await this.#opts.registry.signer(this.#opts.logKid);
    const signer = messageSigning(backend);
    const pub = await backend.publicKey();
    if (!signer || !pub) throw new Error("log key cannot sign notes");
    const body = formatCheckpoint({ origin, size, rootHash: root });
    const note = await signNote(body, origin, pub, (m) => signer.signMessage(m));
    const rootHex = root.toString("hex");
    const stored = await store.addCheckpoint({ size, rootHex, note, issuedAt: new Date().toISOString() });
    // Two replicas signing different roots for one size is a fork; say so loudly.
    if (stored.rootHex !== rootHex) {
      logger.error({ size, ours: rootHex, stored: stored.rootHex }, "transparency log fork detected");
      throw new Error(`transparency log fork at size ${size}`);
    }
    this.#latestSize = size;
    return stored;
  }

  /** Refuse (and log loudly) to sign a tree that does not extend the latest checkpoint. */
  #assertExtends(latest: CheckpointRecord, size: number, root: Buffer): void {
    const why = this.#inconsistency(latest, size, root);
    if (why === null) return;
    this.#opts.logger.error(
      { checkpointSize: latest.size, treeSize: size, why },
      "transparency log is inconsistent with its latest checkpoint; refusing to sign",
    );
    throw new Error(`transparency log inconsistent with checkpoint ${latest.size}: ${why}`);
  }

  /** Null when the tree of `size` (root) extends `latest`; otherwise why not. */
  #inconsistency(latest: CheckpointRecord, size: number, root: Buffer): string | null {
    let signed: { size: number; rootHash: Buffer };
    try {
      // The stored root must be the one the note signs, or the row itself was edited.
      signed = openCheckpoint(latest.note, [parseVerifierKey(this.verifierKey)], this.origin);
    } catch (err) {
      return `stored note does not verify: ${(err as Error).message}`;
    }
    if (signed.size !== latest.size || signed.rootHash.toString("hex") !== latest.rootHex) {
      return "stored row differs from its note";
    }
    if (latest.size > size) return "the audit log is shorter than its checkpoint";
    const altered = "the audit events no longer produce the checkpointed root";
    if (latest.size === 0) return null;
    if (latest.size === size) return signed.rootHash.equals(root) ? null : altered;
    const proof = this.#tree.consistencyProof(latest.size, size);
    return verifyConsistency(latest.size, size, proof, signed.rootHash, root) ? null : altered;
  }
}
