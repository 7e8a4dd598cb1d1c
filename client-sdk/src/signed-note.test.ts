import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from "./checkpoint.js";
import {
  formatVerifierKey,
  NoteError,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "./signed-note.js";

// The example of golang.org/x/mod/sumdb/note (the reference the C2SP signed-note spec was written from).
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE = `${PETER_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

function peterPrivateKey() {
  const seed = Buffer.from(PETER_SKEY.split("+").slice(4).join("+"), "base64").subarray(1);
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

describe("signed note (C2SP)", () => {
  test("the sumdb/note example verifies", () => {
    const { text, signedBy } = verifyNote(PETER_NOTE, [parseVerifierKey(PETER_VKEY)]);
    assert.equal(text, PETER_TEXT);
    assert.deepEqual(signedBy, ["PeterNeumann"]);
  });

  test("signing the example text with the example key reproduces the example note byte for byte", async () => {
    const priv = peterPrivateKey();
    const pub = createPublicKey(priv);
    assert.equal(formatVerifierKey("PeterNeumann", pub), PETER_VKEY);
    const note = await signNote(PETER_TEXT, "PeterNeumann", pub, async (m) => sign(null, m, priv));
    assert.equal(note, PETER_NOTE);
  });

  test("a note signed only by an unknown key is refused; unknown co-signatures are ignored", () => {
    assert.throws(() => verifyNote(PETER_NOTE, [parseVerifierKey(ENOCH_VKEY)]), NoteError);
    // A line by a key the verifier does not know (arbitrary signature bytes): skipped, not an error.
    const extra = `${PETER_NOTE}— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n`;
    assert.deepEqual(verifyNote(extra, [parseVerifierKey(PETER_VKEY)]).signedBy, ["PeterNeumann"]);
  });

  test("a bad signature from a known key rejects the note even when another known key signed", async () => {
    const a = generateKeyPairSync("ed25519");
    const pa = createPublicKey(a.privateKey);
    const good = await signNote("hello\n", "a.example", pa, async (m) => sign(null, m, a.privateKey));
    // Flip one byte inside the signature (not a base64 padding bit, which would be a malformed line).
    const flipped = good.replace(/ ([A-Za-z0-9+/=]+)\n$/, (_, b64: string) => {
      const raw = Buffer.from(b64, "base64");
      raw[10]! ^= 0x01;
      return ` ${raw.toString("base64")}\n`;
    });
    assert.notEqual(flipped, good);
    const b = generateKeyPairSync("ed25519");
    const pb = createPublicKey(b.privateKey);
    const both = `${flipped}${(await signNote("hello\n", "b.example", pb, async (m) => sign(null, m, b.privateKey))).split("\n\n")[1]}`;
    const verifiers = [
      parseVerifierKey(formatVerifierKey("a.example", pa)),
      parseVerifierKey(formatVerifierKey("b.example", pb)),
    ];
    assert.throws(() => verifyNote(both, verifiers), /invalid signature by a.example/);
    assert.throws(() => verifyNote(good.replace("hello", "hellO"), verifiers), NoteError);
  });

  test("malformed notes and keys are refused", () => {
    assert.throws(() => parseNote(PETER_TEXT), NoteError);
    assert.throws(() => parseNote(PETER_NOTE.slice(0, -1)), NoteError);
    assert.throws(() => parseNote(PETER_NOTE.replace("—", "-")), NoteError);
    assert.throws(() => parseNote(`a\tb\n${PETER_NOTE}`), NoteError);
    assert.throws(() => parseVerifierKey(PETER_VKEY.replace("c74f20a3", "c74f20a4")), /key ID mismatch/);
    assert.throws(() => parseVerifierKey("PeterNeumann+c74f20a3"), NoteError);
    assert.throws(() => parseVerifierKey(PETER_VKEY.replace("+AR", "+Ar")), NoteError);
  });
});

describe("checkpoint (C2SP tlog-checkpoint)", () => {
  test("round trip and refusals", async () => {
    const k = generateKeyPairSync("ed25519");
    const pub = createPublicKey(k.privateKey);
    const root = Buffer.alloc(32, 7);
    const body = formatCheckpoint({ origin: "signer.example/log", size: 12, rootHash: root });
    assert.equal(body, `signer.example/log\n12\n${root.toString("base64")}\n`);
    const note = await signNote(body, "signer.example/log", pub, async (m) => sign(null, m, k.privateKey));
    const vk = parseVerifierKey(formatVerifierKey("signer.example/log", pub));
    assert.equal(openCheckpoint(note, [vk], "signer.example/log").size, 12);
    assert.throws(() => openCheckpoint(note, [vk], "other/log"), /unexpected origin/);
    assert.throws(() => parseCheckpoint("o\n012\nAAAA\n"), NoteError);
    assert.throws(() => parseCheckpoint(`o\n1\n${Buffer.alloc(31).toString("base64")}\n`), NoteError);
  });
});
