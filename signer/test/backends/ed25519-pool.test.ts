import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { test } from "node:test";
import { Ed25519Pool } from "../../src/backends/softkey/ed25519-pool.js";

test("the pool signs across workers in order, byte-identical to node:crypto in this thread", async () => {
  const pool = new Ed25519Pool(2);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const digests = Array.from({ length: 300 }, () => randomBytes(32));
  const sigs = await pool.signAll(privateKey, digests);
  assert.equal(sigs.length, digests.length);
  for (const [i, sig] of sigs.entries()) {
    assert.deepEqual(sig, sign(null, digests[i]!, privateKey), `item ${i}`);
    assert.ok(verify(null, digests[i]!, publicKey, sig));
  }
});

test("a chunk the worker cannot sign rejects, and the pool keeps working afterwards", async () => {
  const pool = new Ed25519Pool(1);
  const { publicKey } = generateKeyPairSync("ed25519");
  // A public key cannot sign: the worker reports the error instead of dying.
  await assert.rejects(pool.signAll(publicKey, [randomBytes(32)]), /ed25519 pool/);
  const { privateKey } = generateKeyPairSync("ed25519");
  const digest = randomBytes(32);
  assert.deepEqual((await pool.signAll(privateKey, [digest]))[0], sign(null, digest, privateKey));
});
