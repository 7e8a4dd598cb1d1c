import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { test } from "node:test";
import { formatCheckpoint } from "@signing-proxy/client-sdk";
import { createSoftHsmToken, withSoftHsm } from "../../../test/helpers/softhsm.js";
import { messageSigning } from "../../src/backends/message-signing.js";
import { PKCS11_MAX_MESSAGE_BYTES } from "../../src/backends/pkcs11/pkcs11-backend.js";
import { createBackend } from "../../src/backends/registry.js";
import { keyConfig, makeToolKeys, STRICT, TOOL_KEYS } from "./pkcs11-fixture.js";

/** A checkpoint body the size a C2SP note has (not 32 bytes, so it cannot pass as a digest). */
const NOTE_TEXT = Buffer.from(
  formatCheckpoint({ origin: "signer.test/log", size: 123456, rootHash: Buffer.alloc(32, 7) }),
  "utf8",
);

withSoftHsm("pkcs11 message signing (C2SP notes) on SoftHSM2", () => {
  const token = createSoftHsmToken("messages");
  makeToolKeys(token);

  test("an Ed25519 key signs a note-sized text with CKM_EDDSA; node:crypto verifies it", async () => {
    const backend = await createBackend(keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)), STRICT);
    try {
      const signer = messageSigning(backend);
      assert.ok(signer, "pkcs11 Ed25519 backends offer message signing");
      const pub = await backend.publicKey();
      assert.ok(pub);
      const sig = await signer.signMessage(NOTE_TEXT);
      assert.equal(sig.length, 64);
      assert.ok(verify(null, NOTE_TEXT, pub, sig));
      // The largest allowed message goes through too; the digest path still insists on 32 bytes.
      const big = Buffer.alloc(PKCS11_MAX_MESSAGE_BYTES, 0x61);
      assert.ok(verify(null, big, pub, await signer.signMessage(big)));
      await assert.rejects(backend.sign(NOTE_TEXT), TypeError);
    } finally {
      await backend.close();
    }
  });

  test("over-long or empty messages and non-Ed25519 keys are refused", async () => {
    const ed = await createBackend(keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)), STRICT);
    const p256 = await createBackend(
      keyConfig("ecdsa-sha256", token.uri(TOOL_KEYS["ecdsa-sha256"].label)),
      STRICT,
    );
    try {
      const signer = messageSigning(ed);
      assert.ok(signer);
      await assert.rejects(signer.signMessage(Buffer.alloc(PKCS11_MAX_MESSAGE_BYTES + 1)), RangeError);
      await assert.rejects(signer.signMessage(Buffer.alloc(0)), RangeError);
      assert.equal(messageSigning(p256), null);
    } finally {
      await ed.close();
      await p256.close();
    }
  });
});
