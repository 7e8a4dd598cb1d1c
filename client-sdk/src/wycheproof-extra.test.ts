// Wycheproof beyond verify-digest.test.ts: the same vectors with the key as a JWK (what a JWKS key
// cache hands verifyDigest), raw P1363 signatures refused, and the portable (noble) verifier.
import assert from "node:assert/strict";
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  randomBytes,
  sign,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { verifyDigestPortable, verifyEd25519Portable } from "./portable-verify.js";
import { verifyDigest } from "./verify-digest.js";

const WYCHEPROOF = new URL("../../../shared/testdata/wycheproof/", import.meta.url);

interface Vector {
  readonly tcId: number;
  readonly msg: string;
  readonly sig: string;
  readonly result: "valid" | "invalid" | "acceptable";
}
interface Group {
  readonly publicKeyPem: string;
  readonly tests: readonly Vector[];
}

const groups = (file: string): readonly Group[] =>
  (JSON.parse(readFileSync(new URL(file, WYCHEPROOF), "utf8")) as { testGroups: Group[] }).testGroups;
const digestOf = (msgHex: string): string =>
  createHash("sha256").update(Buffer.from(msgHex, "hex")).digest("hex");

/** Run `check` on every vector whose expected outcome `expect` gives; list the disagreements. */
function run(
  file: string,
  check: (g: Group, t: Vector) => boolean,
  expect: (t: Vector) => boolean | undefined,
): { count: number; wrong: string[] } {
  let count = 0;
  const wrong: string[] = [];
  for (const g of groups(file)) {
    for (const t of g.tests) {
      const want = expect(t);
      if (want === undefined) continue;
      count++;
      let got: boolean;
      try {
        got = check(g, t);
      } catch (err) {
        wrong.push(`tcId ${t.tcId}: threw ${(err as Error).message}`);
        continue;
      }
      if (got !== want) wrong.push(`tcId ${t.tcId} (${t.result}): got ${got}`);
    }
  }
  return { count, wrong };
}

const byResult = (t: Vector): boolean | undefined =>
  t.result === "valid" ? true : t.result === "invalid" ? false : undefined;
const jwkOf = (pem: string): JsonWebKey => createPublicKey(pem).export({ format: "jwk" });

describe("Wycheproof with JWK keys (the JWKS path)", () => {
  test("ECDSA P-256 SHA-256 DER: valid accepted, invalid rejected", () => {
    const { count, wrong } = run(
      "ecdsa_secp256r1_sha256_test.json",
      (g, t) =>
        verifyDigest({
          alg: "ecdsa-sha256",
          publicKey: jwkOf(g.publicKeyPem),
          digestHex: digestOf(t.msg),
          signature: Buffer.from(t.sig, "hex"),
        }),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 484);
  });

  test("RSA-2048 PKCS#1 v1.5 SHA-256: valid accepted; invalid and 'acceptable' rejected", () => {
    const { count, wrong } = run(
      "rsa_signature_2048_sha256_test.json",
      (g, t) =>
        verifyDigest({
          alg: "rsa-sha256",
          publicKey: jwkOf(g.publicKeyPem),
          digestHex: digestOf(t.msg),
          signature: Buffer.from(t.sig, "hex"),
        }),
      (t) => t.result === "valid",
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 259);
  });
});

test("ECDSA P-256 in P1363 (raw r||s) form is refused, even for vectors valid in that form: A4 is DER", () => {
  const { count, wrong } = run(
    "ecdsa_secp256r1_sha256_p1363_test.json",
    (g, t) =>
      verifyDigest({
        alg: "ecdsa-sha256",
        publicKey: g.publicKeyPem,
        digestHex: digestOf(t.msg),
        signature: Buffer.from(t.sig, "hex"),
      }),
    () => false,
  );
  assert.deepEqual(wrong, []);
  assert.equal(count, 262);
});

describe("verifyDigestPortable (no node:crypto) agrees with the vectors", () => {
  test("Ed25519, every vector over its message", () => {
    const { count, wrong } = run(
      "ed25519_test.json",
      (g, t) => verifyEd25519Portable(g.publicKeyPem, Buffer.from(t.msg, "hex"), Buffer.from(t.sig, "hex")),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 151);
  });

  test("ECDSA P-256 DER over digest = SHA-256(msg), keys as PEM and as JWK in turn", () => {
    let n = 0;
    const { count, wrong } = run(
      "ecdsa_secp256r1_sha256_test.json",
      (g, t) =>
        verifyDigestPortable({
          alg: "ecdsa-sha256",
          // Alternate the two key forms (noble verifies at ~2 ms each, so not every vector twice).
          publicKey: n++ % 2 === 0 ? g.publicKeyPem : (jwkOf(g.publicKeyPem) as { kty: string }),
          digestHex: digestOf(t.msg),
          signature: Buffer.from(t.sig, "hex").toString("base64"),
        }),
      byResult,
    );
    assert.deepEqual(wrong, []);
    assert.equal(count, 484);
  });

  test("agrees with verifyDigest on fresh Ed25519 and P-256 signatures, good and tampered", () => {
    const ed = generateKeyPairSync("ed25519");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const secret = Buffer.from(ec.privateKey.export({ format: "jwk" }).d ?? "", "base64url");
    for (let i = 0; i < 20; i++) {
      const digest = randomBytes(32);
      const cases = [
        { alg: "ed25519" as const, key: ed.publicKey, sig: sign(null, digest, ed.privateKey) },
        {
          alg: "ecdsa-sha256" as const,
          key: ec.publicKey,
          sig: Buffer.from(p256.sign(digest, secret, { prehash: false, format: "der" })),
        },
      ];
      for (const { alg, key, sig } of cases) {
        const publicKey = key.export({ type: "spki", format: "pem" }) as string;
        const tampered = Buffer.from(sig);
        tampered[tampered.length - 1]! ^= 1;
        for (const signature of [sig, tampered]) {
          const input = {
            alg,
            publicKey,
            digestHex: digest.toString("hex"),
            signature: signature.toString("base64"),
          };
          assert.equal(verifyDigestPortable(input), verifyDigest(input), alg);
        }
      }
    }
  });

  test("caller mistakes are TypeErrors, as in verifyDigest", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }) as string;
    const signature = Buffer.alloc(64);
    const digestHex = "00".repeat(32);
    assert.throws(
      () => verifyDigestPortable({ alg: "ed25519", publicKey: ecPem, digestHex, signature }),
      TypeError,
    );
    assert.throws(
      () => verifyDigestPortable({ alg: "rsa-sha256" as "ed25519", publicKey: ecPem, digestHex, signature }),
      TypeError,
    );
    assert.throws(
      () => verifyDigestPortable({ alg: "ecdsa-sha256", publicKey: ecPem, digestHex: "00", signature }),
      TypeError,
    );
    assert.throws(
      () => verifyDigestPortable({ alg: "ed25519", publicKey: "not a pem", digestHex, signature }),
      TypeError,
    );
    assert.equal(
      verifyDigestPortable({
        alg: "ed25519",
        publicKey: { kty: "OKP", crv: "Ed25519", x: "A".repeat(43) },
        digestHex,
        signature: "!!",
      }),
      false,
    );
  });
});
