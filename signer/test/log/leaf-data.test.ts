import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalBytes, logLeafData } from "@signing-proxy/client-sdk";
import { chainEvents } from "../../src/audit/event.js";
import { exportLine } from "../../src/audit/export-jsonl.js";

test("a log leaf is the RFC 8785 bytes of the event exactly as `signer audit export` writes it", () => {
  const [event] = chainEvents(
    null,
    [
      {
        principal: "p",
        op: "sign.hash",
        kid: "k",
        alg: "ed25519",
        digestHex: "ab".repeat(32),
        result: "ok",
        requestId: "r",
      },
    ],
    "k-audit",
    "2030-01-01T00:00:00.000Z",
  );
  const sealed = { ...event!, signature: "c2ln" };
  assert.deepEqual(logLeafData(sealed), canonicalBytes(JSON.parse(exportLine(sealed))));
  // Anything beyond the A6 fields is not part of the leaf.
  assert.deepEqual(logLeafData({ ...sealed, extra: 1 } as typeof sealed), logLeafData(sealed));
});
