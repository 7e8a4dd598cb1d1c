import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { verifyDigest } from "@signing-proxy/client-sdk";
import { opensslHmac, opensslVerify } from "../../../test/helpers/openssl.js";
import { ALG_NAMES, ALGORITHMS, type Alg } from "../../src/algorithms.js";
import type { SigningBackend } from "../../src/backends/backend.js";

/** Options for {@link runBackendConformance}. */
export interface ConformanceOptions {
  /** The algs this backend supports (default: all of A4). */
  readonly algs?: readonly Alg[];
  /** The HMAC secret behind a backend, when the test knows it, so the openssl CLI can check the MAC. */
  readonly hmacSecret?: (backend: SigningBackend) => Buffer | undefined;
}

/** Deterministic signature schemes: the same digest must give the same bytes. */
const DETERMINISTIC: ReadonlySet<Alg> = new Set(["ed25519", "rsa-sha256", "hmac-sha256"]);

/**
 * Register node:test suites that every SigningBackend must pass, one per alg. `makeBackend` is
 * called once per alg (in `before`); the backend is closed afterwards.
 */
export function runBackendConformance(
  name: string,
  makeBackend: (alg: Alg) => Promise<SigningBackend>,
  opts: ConformanceOptions = {},
): void {
  for (const alg of opts.algs ?? ALG_NAMES) {
    describe(`${name} conformance: ${alg}`, () => {
      let backend: SigningBackend;
      before(async () => {
        backend = await makeBackend(alg);
      });
      after(async () => {
        await backend?.close();
      });

      test("reports the configured alg", () => {
        assert.equal(backend.alg, alg);
        assert.ok(["softkey", "pkcs11", "awskms"].includes(backend.kind));
        assert.ok(backend.kid.length > 0);
      });

      test("public key is null exactly for HMAC, otherwise a public key of the alg's type", async () => {
        const pub = await backend.publicKey();
        if (!ALGORITHMS[alg].asymmetric) return assert.equal(pub, null);
        assert.ok(pub);
        assert.equal(pub.type, "public");
        const jwk = pub.export({ format: "jwk" });
        assert.equal(jwk.kty, ALGORITHMS[alg].jwkKty);
        if (alg === "ecdsa-sha256") assert.equal(jwk.crv, "P-256");
        if (alg === "ed25519") assert.equal(jwk.crv, "Ed25519");
        if (alg === "rsa-sha256") assert.ok((pub.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
      });

      test("signs random digests that verifyDigest and backend.verify accept, with the A4 shape", async () => {
        const pub = await backend.publicKey();
        for (let i = 0; i < 8; i++) {
          const digest = randomBytes(32);
          const sig = await backend.sign(digest);
          assertShape(alg, sig, pub?.asymmetricKeyDetails?.modulusLength);
          assert.equal(await backend.verify(digest, sig), true);
          if (pub) {
            const input = { alg, publicKey: pub, digestHex: digest.toString("hex") };
            assert.equal(verifyDigest({ ...input, signature: sig }), true);
            // As a client sees it in JSON.
            assert.equal(verifyDigest({ ...input, signature: sig.toString("base64") }), true);
          }
        }
      });

      test("the openssl CLI verifies its signatures and rejects a tampered one", async (t) => {
        const digest = randomBytes(32);
        const sig = await backend.sign(digest);
        if (alg === "hmac-sha256") {
          const secret = opts.hmacSecret?.(backend);
          // A device-held HMAC secret cannot be read back; backend.verify covers it in the other tests.
          if (!secret) return t.skip("the HMAC secret lives in the backend and cannot be read back");
          return assert.deepEqual(opensslHmac(secret, digest), sig);
        }
        const pub = await backend.publicKey();
        assert.ok(pub);
        const pem = pub.export({ type: "spki", format: "pem" }) as string;
        assert.ok(opensslVerify(alg, pem, digest, sig), "openssl verifies the signature");
        assert.equal(
          opensslVerify(alg, pem, digest, flipBit(sig, sig.length - 1)),
          false,
          "openssl rejects a tampered one",
        );
      });

      test("refuses a digest that is not exactly 32 bytes", async () => {
        for (const bad of [Buffer.alloc(31), Buffer.alloc(33), Buffer.alloc(0), Buffer.alloc(64)]) {
          await assert.rejects(backend.sign(bad), TypeError, `${bad.length}-byte digest`);
        }
        await assert.rejects(
          backend.sign("00".repeat(32) as unknown as Buffer),
          TypeError,
          "hex string digest",
        );
      });

      test("deterministic algorithms give identical bytes for the same digest", async () => {
        const digest = randomBytes(32);
        const [a, b] = [await backend.sign(digest), await backend.sign(digest)];
        if (DETERMINISTIC.has(alg)) assert.deepEqual(a, b);
        else assert.equal(await backend.verify(digest, b), true);
      });

      test("a flipped bit in the signature or the digest fails verification", async () => {
        const digest = randomBytes(32);
        const sig = await backend.sign(digest);
        const pub = await backend.publicKey();
        for (const index of [0, Math.floor(sig.length / 2), sig.length - 1]) {
          const bad = flipBit(sig, index);
          assert.equal(await backend.verify(digest, bad), false, `signature bit at byte ${index}`);
          if (pub) {
            assert.equal(
              verifyDigest({ alg, publicKey: pub, digestHex: digest.toString("hex"), signature: bad }),
              false,
            );
          }
        }
        assert.equal(await backend.verify(flipBit(digest, 7), sig), false, "digest bit");
        assert.equal(await backend.verify(digest, sig.subarray(0, sig.length - 1)), false, "truncated");
      });

      test("concurrent signs all verify", async () => {
        const digests = Array.from({ length: 16 }, () => randomBytes(32));
        const sigs = await Promise.all(digests.map((d) => backend.sign(d)));
        for (const [i, sig] of sigs.entries()) assert.equal(await backend.verify(digests[i]!, sig), true);
      });

      test("a batch signs in order and matches sign: signMany where offered, else sign per digest", async () => {
        // The sign service calls signMany when a backend has it and sign per item otherwise.
        const signMany = backend.signMany
          ? backend.signMany.bind(backend)
          : (digests: readonly Buffer[]) => Promise.all(digests.map((d) => backend.sign(d)));
        const pub = await backend.publicKey();
        for (const n of [2, 200]) {
          const digests = Array.from({ length: n }, () => randomBytes(32));
          const sigs = await signMany(digests);
          assert.equal(sigs.length, n);
          for (const [i, sig] of sigs.entries()) {
            if (DETERMINISTIC.has(alg)) assert.deepEqual(sig, await backend.sign(digests[i]!), `item ${i}`);
            else assert.equal(await backend.verify(digests[i]!, sig), true, `item ${i}`);
          }
          if (pub) {
            const pem = pub.export({ type: "spki", format: "pem" }) as string;
            assert.ok(
              opensslVerify(alg, pem, digests[n - 1]!, sigs[n - 1]!),
              "openssl verifies the last one",
            );
          }
        }
        await assert.rejects(signMany([randomBytes(32), Buffer.alloc(31)]), TypeError);
      });

      test("healthCheck passes", async () => {
        await backend.healthCheck();
      });

      test("close() is idempotent", async () => {
        await backend.close();
        await backend.close();
      });
    });
  }
}

function assertShape(alg: Alg, sig: Buffer, modulusBits: number | undefined): void {
  switch (alg) {
    case "ed25519":
      assert.equal(sig.length, 64);
      break;
    case "hmac-sha256":
      assert.equal(sig.length, 32);
      break;
    case "rsa-sha256":
      assert.equal(sig.length, Math.ceil((modulusBits ?? 0) / 8));
      break;
    case "ecdsa-sha256": {
      // Strict DER SEQUENCE { r, s } with r, s in range: parsing and re-encoding gives the same bytes.
      assert.ok(sig.length <= 72);
      const parsed = p256.Signature.fromBytes(sig, "der");
      assert.deepEqual(Buffer.from(parsed.toBytes("der")), sig);
      break;
    }
  }
}

function flipBit(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}
