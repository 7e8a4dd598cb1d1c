import { parseStrictJson } from "@signing-proxy/client-sdk";
import type { AuditEvent, Store } from "../store/store.js";
import { AuditSourceError } from "./verify-chain.js";

/** Events per store read: large enough to amortise round trips, small enough to stay constant-memory. */
export const DEFAULT_PAGE_SIZE = 1000;

/** No event line comes near this; a longer one is refused before it can exhaust memory. */
export const MAX_JSONL_LINE_BYTES = 1024 * 1024;

/**
 * Stream the store's events with seq >= fromSeq in ascending order, one page in memory at a time.
 * Pages continue after the last seq seen, so a gap (a deleted row) is passed on, never papered over.
 */
export async function* storeEvents(
  store: Pick<Store, "readAuditEvents">,
  fromSeq = 0,
  pageSize = DEFAULT_PAGE_SIZE,
): AsyncGenerator<AuditEvent> {
  let from = fromSeq;
  for (;;) {
    const page = await store.readAuditEvents(from, pageSize);
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    from = last.seq + 1;
  }
}

/**
 * Parse a JSONL export one line at a time (constant memory). Each line is parsed strictly (no
 * duplicate keys, no lone surrogates, valid UTF-8); a malformed or empty line raises an
 * AuditSourceError naming its line number. The values are unvalidated: verifyAuditChain checks them.
 */
export async function* jsonlEvents(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<unknown> {
  // fatal: invalid UTF-8 must fail, not become U+FFFD; ignoreBOM: a BOM stays and fails the parse.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const parse = (bytes: Buffer): unknown => {
    line++;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new AuditSourceError(`line ${line}: not valid UTF-8`);
    }
    if (text.trim() === "") throw new AuditSourceError(`line ${line}: empty line`);
    try {
      return parseStrictJson(text, { maxDepth: 4, maxBytes: MAX_JSONL_LINE_BYTES });
    } catch (err) {
      throw new AuditSourceError(
        `line ${line}: malformed JSON (${err instanceof Error ? err.message : err})`,
      );
    }
  };
  for await (const chunk of chunks) {
    let buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      pending.push(buf.subarray(0, nl));
      const bytes = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      yield parse(bytes);
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) {
      pending.push(buf);
      pendingBytes += buf.length;
      // Refuse an endless line before buffering it whole.
      if (pendingBytes > MAX_JSONL_LINE_BYTES) {
        throw new AuditSourceError(`line ${line + 1}: longer than ${MAX_JSONL_LINE_BYTES} bytes`);
      }
    }
  }
  // A final line without its newline still counts; nothing after the last newline is the normal end.
  if (pendingBytes > 0) yield parse(Buffer.concat(pending));
}
