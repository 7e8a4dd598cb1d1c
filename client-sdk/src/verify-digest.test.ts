import assert from "node:assert/strict";
import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
  randomBytes,
  sign,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { encodeDigestInfoSha256, verifyDigest, verifyEd25519Message } from "./verify-digest.js";

const WYCHEPROOF = new URL("../../../shared/testdata/wycheproof/", import.meta.url);

interface WycheproofVector {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly msg: string;
  readonly sig: string;
  readonly result: "valid" | "invalid" | "acceptable";
}
interface WycheproofGroup {
  readonly publicKeyPem: string;
  readonly tests: readonly WycheproofVector[];
}

function groups(file: string): readonly WycheproofGroup[] {
  const doc = JSON.parse(readFileSync(new URL(file, WYCHEPROOF), "utf8")) as {
    testGroups: WycheproofGroup[];
  };
  return doc.testGroups;
}

const sha256 = (bytes: Uint8Array): Buffer => createHash("sha256").update(bytes).digest();

/** Run every vector; return the ones whose outcome differs from `expect` (undefined: not asserted). */
function mismatches(
  file: string,
  check: (pem: string, t: WycheproofVector) => boolean,
  expect: (t: WycheproofVector) => boolean | undefined,
): { count: number; wrong: string[] } {
  const wrong: string[] = [];
  let count = 0;
  for (const group of groups(file)) {
    for (const t of group.tests) {
      const want = expect(t);
      if (want === undefined) continue;
      count++;
      const got = check(group.publicKeyPem, t);
      if (got !== want) wrong.push(`tcId ${t.tcId} (${t.result}, ${t.flags.join(",")}): got ${got}`);
    }
  }
  return { count, wrong };
}

const byResult = (t: WycheproofVector): boolean | undefined =>
  t.result === "valid" ? true : t.result === "invalid" ? false : undefined;

describe("verifyDigest against Wycheproof", () => {
  test("ECDSA P-256 SHA-256 (DER): valid accepted, invalid rejected, over digest = SHA-256(msg)", () => {
    const { count, wrong } = mismatches(
      "ecdsa_secp256r1_sha256_test.json",
      (pem, t) =>
        verifyDigest({
          alg: "ecdsa-sha256",
          publicKey: pem,
          digestHex: sha256(Buffer.from(t.msg, "hex")).toString("hex"),
          signature: Buffer.from(t.sig, "hex"),
        }),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 484);
  });

  test("RSA-2048 PKCS#1 v1.5 SHA-256: valid accepted, invalid rejected", () => {
    const { count, wrong } = mismatches(
      "rsa_signature_2048_sha256_test.json",
      (pem, t) =>
        verifyDigest({
          alg: "rsa-sha256",
          publicKey: pem,
          digestHex: sha256(Buffer.from(t.msg, "hex")).toString("hex"),
          signature: Buffer.from(t.sig, "hex"),
        }),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 258);
  });

  test("RSA 'acceptable' (DigestInfo without the NULL parameter) is rejected: only the exact encoding counts", () => {
    const { count, wrong } = mismatches(
      "rsa_signature_2048_sha256_test.json",
      (pem, t) =>
        verifyDigest({
          alg: "rsa-sha256",
          publicKey: pem,
          digestHex: sha256(Buffer.from(t.msg, "hex")).toString("hex"),
          signature: Buffer.from(t.sig, "hex"),
        }),
      (t) => (t.result === "acceptable" ? false : undefined),
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 1);
  });

  test("Ed25519 (the primitive verifyDigest uses, over each vector's message)", () => {
    const { count, wrong } = mismatches(
      "ed25519_test.json",
      (pem, t) =>
        verifyEd25519Message({
          publicKey: pem,
          message: Buffer.from(t.msg, "hex"),
          signature: Buffer.from(t.sig, "hex"),
        }),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 151);
  });

  test("Ed25519 vectors with 32-byte messages through verifyDigest itself", () => {
    const { count, wrong } = mismatches(
      "ed25519_test.json",
      (pem, t) =>
        verifyDigest({
          alg: "ed25519",
          publicKey: pem,
          digestHex: t.msg,
          signature: Buffer.from(t.sig, "hex"),
        }),
      (t) => (t.msg.length === 64 ? byResult(t) : undefined),
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 3);
  });
});

function keyPair(alg: "ed25519" | "ecdsa-sha256" | "rsa-sha256" | "p384" | "rsa1024"): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  switch (alg) {
    case "ed25519":
      return generateKeyPairSync("ed25519");
    case "ecdsa-sha256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "p384":
      return generateKeyPairSync("ec", { namedCurve: "P-384" });
    case "rsa-sha256":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "rsa1024":
      return generateKeyPairSync("rsa", { modulusLength: 1024 });
  }
}

const ed = keyPair("ed25519");
const ec = keyPair("ecdsa-sha256");
const rsa = keyPair("rsa-sha256");
const pemOf = (k: KeyObject): string => k.export({ type: "spki", format: "pem" }) as string;

describe("verifyDigest with independently made signatures", () => {
  const message = randomBytes(100);
  const digest = sha256(message);
  const digestHex = digest.toString("hex");

  test("node:crypto ECDSA over a message verifies as a prehash of SHA-256(message), for PEM, JWK and KeyObject", () => {
    const sig = sign("sha256", message, ec.privateKey);
    for (const publicKey of [pemOf(ec.publicKey), ec.publicKey.export({ format: "jwk" }), ec.publicKey]) {
      assert.equal(verifyDigest({ alg: "ecdsa-sha256", publicKey, digestHex, signature: sig }), true);
    }
  });

  test("node:crypto RSA PKCS#1 v1.5 over a message verifies as a prehash; DigestInfo encoding matches node's", () => {
    const sig = sign("sha256", message, rsa.privateKey);
    assert.equal(
      verifyDigest({ alg: "rsa-sha256", publicKey: pemOf(rsa.publicKey), digestHex, signature: sig }),
      true,
    );
    const ours = privateEncrypt(
      { key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING },
      encodeDigestInfoSha256(digest),
    );
    assert.deepEqual(ours, sig);
  });

  test("Ed25519 signs the 32 digest bytes as the message", () => {
    const sig = sign(null, digest, ed.privateKey);
    assert.equal(verifyDigest({ alg: "ed25519", publicKey: ed.publicKey, digestHex, signature: sig }), true);
    const overMessage = sign(null, message, ed.privateKey);
    assert.equal(
      verifyDigest({ alg: "ed25519", publicKey: ed.publicKey, digestHex, signature: overMessage }),
      false,
    );
  });

  test("uppercase digestHex is accepted", () => {
    const sig = sign(null, digest, ed.privateKey);
    const upper = digestHex.toUpperCase();
    assert.equal(
      verifyDigest({ alg: "ed25519", publicKey: ed.publicKey, digestHex: upper, signature: sig }),
      true,
    );
  });
});

describe("ECDSA encoding rules (standard semantics: high-S valid, BER not)", () => {
  const digest = randomBytes(32);
  const digestHex = digest.toString("hex");
  const jwk = ec.privateKey.export({ format: "jwk" });
  const secret = Buffer.from(jwk.d ?? "", "base64url");
  const sig = p256.Signature.fromBytes(
    p256.sign(digest, secret, { prehash: false, format: "compact" }),
    "compact",
  );
  const check = (signature: Uint8Array | string): boolean =>
    verifyDigest({ alg: "ecdsa-sha256", publicKey: ec.publicKey, digestHex, signature });

  test("low-S and high-S forms of one signature are both valid", () => {
    const high = new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s);
    assert.equal(check(sig.toBytes("der")), true);
    assert.equal(check(high.toBytes("der")), true);
  });

  test("raw r||s (P1363) is not DER and is rejected", () => {
    assert.equal(check(sig.toBytes("compact")), false);
  });

  test("a long-form (BER) length is rejected", () => {
    const der = Buffer.from(sig.toBytes("der"));
    const ber = Buffer.concat([Buffer.of(0x30, 0x81, der[1] ?? 0), der.subarray(2)]);
    assert.equal(check(ber), false);
  });

  test("trailing bytes after the DER sequence are rejected", () => {
    assert.equal(check(Buffer.concat([sig.toBytes("der"), Buffer.of(0)])), false);
  });
});

describe("signature encodings", () => {
  const digest = randomBytes(32);
  const digestHex = digest.toString("hex");
  const sig = sign(null, digest, ed.privateKey);
  const check = (signature: Uint8Array | string): boolean =>
    verifyDigest({ alg: "ed25519", publicKey: ed.publicKey, digestHex, signature });

  test("base64, base64url, unpadded, Buffer and plain Uint8Array all verify", () => {
    assert.equal(check(sig.toString("base64")), true);
    assert.equal(check(sig.toString("base64url")), true);
    assert.equal(check(sig.toString("base64").replace(/=+$/, "")), true);
    assert.equal(check(sig), true);
    assert.equal(check(new Uint8Array(sig)), true);
  });

  test("malformed text is false, not an exception", () => {
    const b64 = sig.toString("base64");
    for (const bad of ["", "!!!", `${b64}!`, `${b64.slice(0, -4)} ${b64.slice(-4)}`, `${b64}==`, "A"]) {
      assert.equal(check(bad), false, JSON.stringify(bad));
    }
  });

  test("non-canonical base64 (stray bits in the last character) is false", () => {
    const b64 = sig.toString("base64"); // 64 bytes → ends in "==", last data char carries 4 spare bits
    const last = b64.at(-3) ?? "A";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const tweaked = alphabet[alphabet.indexOf(last) ^ 1] ?? "A";
    assert.equal(check(`${b64.slice(0, -3)}${tweaked}==`), false);
  });

  test("a wrong-length RSA signature is false", () => {
    const s = sign("sha256", Buffer.from("x"), rsa.privateKey);
    const d = sha256(Buffer.from("x")).toString("hex");
    assert.equal(
      verifyDigest({ alg: "rsa-sha256", publicKey: rsa.publicKey, digestHex: d, signature: s }),
      true,
    );
    const padded = Buffer.concat([Buffer.of(0), s]);
    assert.equal(
      verifyDigest({ alg: "rsa-sha256", publicKey: rsa.publicKey, digestHex: d, signature: padded }),
      false,
    );
    assert.equal(
      verifyDigest({ alg: "rsa-sha256", publicKey: rsa.publicKey, digestHex: d, signature: s.subarray(1) }),
      false,
    );
  });
});

describe("programmer errors throw TypeError", () => {
  const digestHex = "00".repeat(32);
  const signature = Buffer.alloc(64);

  test("unknown alg and hmac-sha256", () => {
    assert.throws(
      () => verifyDigest({ alg: "es256" as "ed25519", publicKey: ed.publicKey, digestHex, signature }),
      TypeError,
    );
    assert.throws(
      () => verifyDigest({ alg: "hmac-sha256", publicKey: ed.publicKey, digestHex, signature }),
      TypeError,
    );
  });

  test("digestHex that is not 64 hex characters", () => {
    for (const bad of ["", "00".repeat(31), "00".repeat(33), `${"00".repeat(31)}zz`, ` ${"00".repeat(32)}`]) {
      assert.throws(
        () => verifyDigest({ alg: "ed25519", publicKey: ed.publicKey, digestHex: bad, signature }),
        TypeError,
      );
    }
  });

  test("key that does not fit the alg: wrong type, P-384, RSA-1024, private PEM, garbage", () => {
    const cases: [
      Parameters<typeof verifyDigest>[0]["alg"],
      Parameters<typeof verifyDigest>[0]["publicKey"],
    ][] = [
      ["ed25519", ec.publicKey],
      ["ecdsa-sha256", ed.publicKey],
      ["rsa-sha256", ec.publicKey],
      ["ecdsa-sha256", keyPair("p384").publicKey],
      ["rsa-sha256", keyPair("rsa1024").publicKey],
      ["ed25519", ed.privateKey.export({ type: "pkcs8", format: "pem" }) as string],
      ["ed25519", "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"],
      ["ed25519", { kty: "OKP", crv: "Ed25519" }],
    ];
    for (const [alg, publicKey] of cases) {
      assert.throws(() => verifyDigest({ alg, publicKey, digestHex, signature }), TypeError, alg);
    }
  });

  test("a non-string, non-bytes signature", () => {
    assert.throws(
      () =>
        verifyDigest({
          alg: "ed25519",
          publicKey: ed.publicKey,
          digestHex,
          signature: 42 as unknown as string,
        }),
      TypeError,
    );
  });
});

describe("PEM key cache", () => {
  test("the same PEM text verifies repeatedly, and more than the cache bound of distinct PEMs still work", () => {
    const digest = randomBytes(32);
    const digestHex = digest.toString("hex");
    const pairs = Array.from({ length: 300 }, () => generateKeyPairSync("ed25519"));
    for (const round of [0, 1]) {
      for (const pair of pairs) {
        const signature = sign(null, digest, pair.privateKey);
        assert.equal(
          verifyDigest({ alg: "ed25519", publicKey: pemOf(pair.publicKey), digestHex, signature }),
          true,
        );
        assert.equal(
          verifyDigest({ alg: "ed25519", publicKey: pemOf(ed.publicKey), digestHex, signature }),
          false,
          `round ${round}`,
        );
      }
    }
  });
});
