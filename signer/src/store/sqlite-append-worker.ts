// Worker thread that commits audit batches to SQLite on its own connection, so the fsync of each
// commit (synchronous=FULL) blocks this thread and not the event loop serving requests.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { headFromRow } from "./rows.js";
import type { AppendReply, AppendRequest } from "./sqlite-append-protocol.js";
import { configureConnection, mapSqliteError, prepareStatements } from "./sqlite-support.js";
import { StoreConflictError, StoreUnavailableError } from "./store.js";

const db = new Database((workerData as { path: string }).path);
configureConnection(db, false);
const s = prepareStatements(db);

function append(req: AppendRequest): void {
  s.begin.run();
  try {
    const head = headFromRow(s.head.get());
    // The main thread built the batch on the head it read; if anything advanced the chain meanwhile,
    // refuse rather than fork it.
    if (head?.seq !== req.expected?.seq || head?.hash !== req.expected?.hash) {
      throw new StoreConflictError("the audit head moved while the batch was built");
    }
    for (const row of req.rows) s.insertEvent.run(...row);
    s.setHead.run(req.next.seq, req.next.hash);
    s.commit.run();
  } catch (e) {
    if (db.inTransaction) s.rollback.run();
    throw e;
  }
}

parentPort?.on("message", (req: AppendRequest | "close") => {
  if (req === "close") {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: AppendReply;
  try {
    append(req);
    reply = { id: req.id, ok: true };
  } catch (e) {
    const mapped = mapSqliteError(e);
    const kind =
      mapped instanceof StoreConflictError
        ? "conflict"
        : mapped instanceof StoreUnavailableError
          ? "unavailable"
          : "other";
    reply = {
      id: req.id,
      ok: false,
      kind,
      message: mapped instanceof Error ? mapped.message : String(mapped),
    };
  }
  parentPort?.postMessage(reply);
});
