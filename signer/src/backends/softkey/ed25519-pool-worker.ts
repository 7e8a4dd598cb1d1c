// Worker thread of the Ed25519 batch pool: signs a chunk of 32-byte digests with the key it is sent
// and answers with the 64-byte signatures concatenated in order.
import { type KeyObject, sign } from "node:crypto";
import { parentPort } from "node:worker_threads";
import type { PoolReply, PoolRequest } from "./ed25519-pool.js";

parentPort?.on("message", (req: PoolRequest) => {
  let reply: PoolReply;
  try {
    const digests = Buffer.from(req.digests);
    const out = Buffer.allocUnsafe((digests.length / 32) * 64);
    for (let i = 0; i * 32 < digests.length; i++) {
      sign(null, digests.subarray(i * 32, i * 32 + 32), req.key as KeyObject).copy(out, i * 64);
    }
    reply = { id: req.id, signatures: out };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(reply);
});
