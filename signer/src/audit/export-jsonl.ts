import type { Writable } from "node:stream";
import type { AuditEvent } from "../store/store.js";

/** Bytes gathered before one write: far fewer syscalls than a write per event, still bounded memory. */
const WRITE_CHUNK_CHARS = 64 * 1024;

/**
 * One JSONL line of the export (DESIGN.md A6): exactly the A6 fields in A6 order, then "\n". The
 * object is rebuilt field by field so nothing else a caller's object may carry is ever written.
 */
export function exportLine(e: AuditEvent): string {
  const ordered = {
    seq: e.seq,
    ts: e.ts,
    principal: e.principal,
    op: e.op,
    kid: e.kid,
    alg: e.alg,
    digestHex: e.digestHex,
    result: e.result,
    requestId: e.requestId,
    auditKid: e.auditKid,
    prevHash: e.prevHash,
    hash: e.hash,
    signature: e.signature,
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** What {@link writeJsonlExport} wrote. */
export interface ExportSummary {
  readonly count: number;
  /** First and last seq written; null when nothing was. */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
}

/**
 * Write `events` to `out` as JSONL, honouring backpressure (waits for 'drain'), so a log of any size
 * streams through bounded memory. Rejects with the stream's error (e.g. EPIPE). Does not end `out`.
 */
export async function writeJsonlExport(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  out: Writable,
): Promise<ExportSummary> {
  let streamError: Error | undefined;
  const onError = (err: Error): void => {
    streamError ??= err;
  };
  out.on("error", onError);
  try {
    let count = 0;
    let firstSeq: number | null = null;
    let lastSeq: number | null = null;
    let chunk = "";
    for await (const event of events) {
      chunk += exportLine(event);
      firstSeq ??= event.seq;
      lastSeq = event.seq;
      count++;
      if (chunk.length >= WRITE_CHUNK_CHARS) {
        await write(out, chunk, () => streamError);
        chunk = "";
      }
    }
    if (chunk !== "") await write(out, chunk, () => streamError);
    return { count, firstSeq, lastSeq };
  } finally {
    out.off("error", onError);
    // The failure was reported by rejecting; a late 'error' emission must not crash the process.
    if (streamError !== undefined || out.errored) out.on("error", ignore);
  }
}

function ignore(): void {}

async function write(out: Writable, chunk: string, failed: () => Error | undefined): Promise<void> {
  const before = failed() ?? out.errored;
  if (before) throw before;
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      out.off("drain", onDrain);
      out.off("error", onError);
      out.off("close", onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    // A destination closed under us would otherwise leave this wait pending forever.
    const onClose = (): void => {
      cleanup();
      reject(failed() ?? out.errored ?? new Error("output closed before the export finished"));
    };
    out.on("drain", onDrain);
    out.on("error", onError);
    out.on("close", onClose);
    const already = failed() ?? out.errored;
    if (already) onError(already);
  });
}
