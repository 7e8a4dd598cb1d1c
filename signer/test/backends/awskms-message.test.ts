import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { formatCheckpoint } from "@signing-proxy/client-sdk";
import {
  createKmsKey,
  mockAwsConfig,
  startTestMockKms,
  type TestMockKms,
} from "../../../test/helpers/mock-kms.js";
import type { Alg } from "../../src/algorithms.js";
import { KMS_MAX_MESSAGE_BYTES } from "../../src/backends/awskms/awskms-backend.js";
import type { BackendContext, SigningBackend } from "../../src/backends/backend.js";
import { messageSigning } from "../../src/backends/message-signing.js";
import { createBackend } from "../../src/backends/registry.js";
import { testKeyConfig } from "./key-config.js";

let kms: TestMockKms;
let ctx: BackendContext;
before(async () => {
  kms = await startTestMockKms();
  // Not strict: strict mode refuses mock-kms's plain-http endpoint (a real deployment uses https).
  ctx = { strict: false, dataDir: "/nonexistent", aws: mockAwsConfig(kms.url) };
});
after(async () => kms?.close());

async function kmsBackend(alg: Alg): Promise<SigningBackend> {
  const { arn } = await createKmsKey(kms.client, alg);
  return createBackend(testKeyConfig("kms-msg", alg, `awskms:key-id=${arn}`), ctx);
}

const NOTE_TEXT = Buffer.from(
  formatCheckpoint({ origin: "signer.test/log", size: 42, rootHash: Buffer.alloc(32, 9) }),
  "utf8",
);

describe("awskms message signing (C2SP notes) against mock-kms", () => {
  test("an Ed25519 key signs a note-sized text RAW; node:crypto verifies it", async () => {
    const backend = await kmsBackend("ed25519");
    try {
      const signer = messageSigning(backend);
      assert.ok(signer, "awskms Ed25519 backends offer message signing");
      const pub = await backend.publicKey();
      assert.ok(pub);
      const sig = await signer.signMessage(NOTE_TEXT);
      assert.equal(sig.length, 64);
      assert.ok(verify(null, NOTE_TEXT, pub, sig));
      // Exactly at the KMS limit is still signed, over the bytes as given.
      const max = Buffer.alloc(KMS_MAX_MESSAGE_BYTES, 0x62);
      assert.ok(verify(null, max, pub, await signer.signMessage(max)));
    } finally {
      await backend.close();
    }
  });

  test("a message over the KMS limit (or empty) is refused with a clear error, before any call", async () => {
    const backend = await kmsBackend("ed25519");
    try {
      const signer = messageSigning(backend);
      assert.ok(signer);
      await assert.rejects(signer.signMessage(Buffer.alloc(KMS_MAX_MESSAGE_BYTES + 1)), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /at most|1\.\.4096/);
        return true;
      });
      await assert.rejects(signer.signMessage(Buffer.alloc(0)), RangeError);
    } finally {
      await backend.close();
    }
  });

  test("non-Ed25519 KMS keys offer no message signing", async () => {
    const backend = await kmsBackend("ecdsa-sha256");
    try {
      assert.equal(messageSigning(backend), null);
    } finally {
      await backend.close();
    }
  });
});
