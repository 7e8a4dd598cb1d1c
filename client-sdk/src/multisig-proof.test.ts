import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, test } from "node:test";
import { canonicalize, digestHexOf } from "./canonical.js";
import { type MultisigPolicy, type MultisigProof, verifyMultisigProof } from "./multisig-proof.js";

type Alg = "ed25519" | "ecdsa-sha256";
const ALGS: readonly Alg[] = ["ed25519", "ecdsa-sha256", "ed25519", "ecdsa-sha256", "ed25519"];
const KIDS = ["op-a", "op-b", "op-c", "op-d", "op-e"];
const keys = new Map<string, { alg: Alg; key: KeyObject }>(
  KIDS.map((kid, i) => {
    const alg = ALGS[i]!;
    const pair =
      alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
    return [kid, { alg, key: pair.privateKey }];
  }),
);
const policy: MultisigPolicy = { id: "upgrades", threshold: 3, signers: KIDS };
const manifest = { type: "upgrade", target: "memory-layer", version: 3, expires: "2030-01-02T00:00:00Z" };

/** Sign as an operator would outside the proxy: Ed25519 over the digest, ECDSA over SHA-256(canonical). */
function approve(kid: string, m: object = manifest): { kid: string; alg: string; signature: string } {
  const { alg, key } = keys.get(kid)!;
  const signature =
    alg === "ed25519"
      ? sign(null, Buffer.from(digestHexOf(m), "hex"), key)
      : sign("sha256", Buffer.from(canonicalize(m)), key);
  return { kid, alg, signature: signature.toString("base64") };
}

function signersJson(revoked: readonly string[] = []) {
  return {
    signers: [...keys].map(([kid, { alg, key }]) => ({
      signer_kid: kid,
      algorithm: alg,
      public_key_pem: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
      deployedAt: "2030-01-01T00:00:00Z",
      description: "",
      status: revoked.includes(kid) ? "revoked" : "active",
    })),
  };
}

function jwks(omit: readonly string[] = []) {
  return {
    keys: [...keys]
      .filter(([kid]) => !omit.includes(kid))
      .map(([kid, { alg, key }]) => ({
        ...createPublicKey(key).export({ format: "jwk" }),
        kid,
        use: "sig",
        alg: alg === "ed25519" ? "EdDSA" : "ES256",
      })),
  };
}

const proof: MultisigProof = {
  policy: "upgrades",
  digestHex: digestHexOf(manifest),
  threshold: 3,
  signatures: ["op-a", "op-b", "op-c"].map((kid) => approve(kid)),
  manifest,
};

const check = (p: unknown, k: unknown = signersJson(), pol: MultisigPolicy = policy) =>
  verifyMultisigProof(p, { keys: k, policy: pol });

describe("verifyMultisigProof", () => {
  test("a 3-of-5 proof verifies with signers.json and with a JWKS", () => {
    for (const k of [signersJson(), jwks()]) {
      const r = check(proof, k);
      assert.deepEqual([r.valid, r.validSignatures, r.threshold, r.problems], [true, 3, 3, []]);
    }
  });

  test("a proof altered in any field fails", () => {
    const sigs = proof.signatures;
    const flipped = Buffer.from(sigs[1]!.signature, "base64");
    flipped[flipped.length - 1]! ^= 1;
    const altered: Record<string, unknown> = {
      manifest: { ...proof, manifest: { ...manifest, version: 4 } },
      "manifest and digestHex together": {
        ...proof,
        manifest: { ...manifest, version: 4 },
        digestHex: digestHexOf({ ...manifest, version: 4 }),
      },
      digestHex: { ...proof, digestHex: "0".repeat(64) },
      "one signature": {
        ...proof,
        signatures: [sigs[0], { ...sigs[1], signature: flipped.toString("base64") }, sigs[2]],
      },
      "threshold lowered": { ...proof, threshold: 1 },
      "threshold raised": { ...proof, threshold: 5 },
      "policy name": { ...proof, policy: "other" },
      "forged extra signature, unknown kid": {
        ...proof,
        signatures: [...sigs, { kid: "op-x", alg: "ed25519", signature: sigs[0]!.signature }],
      },
      "a policy kid signing with another kid's signature": {
        ...proof,
        signatures: [...sigs, { ...sigs[0]!, kid: "op-e" }],
      },
      "an alg that is not the key's": {
        ...proof,
        signatures: [sigs[0], { ...sigs[1], alg: "ed25519" }, sigs[2]],
      },
      "a duplicated entry": { ...proof, signatures: [...sigs, sigs[0]] },
      "an extra top-level field": { ...proof, note: "x" },
      "an extra signature field": { ...proof, signatures: [{ ...sigs[0], at: 1 }, sigs[1], sigs[2]] },
      "uppercase digestHex": { ...proof, digestHex: proof.digestHex.toUpperCase() },
    };
    for (const [what, p] of Object.entries(altered)) {
      const r = check(p);
      assert.equal(r.valid, false, what);
      assert.ok(r.problems.length > 0, what);
    }
    for (const junk of [null, "x", [], { ...proof, signatures: "x" }]) assert.equal(check(junk).valid, false);
  });

  test("fewer signatures than the trusted threshold fail; the trusted threshold wins over the proof's", () => {
    assert.deepEqual(
      [
        check({ ...proof, signatures: proof.signatures.slice(0, 2) }).valid,
        check({ ...proof, signatures: proof.signatures.slice(0, 2) }).validSignatures,
      ],
      [false, 2],
    );
    const stricter = { ...policy, threshold: 4 };
    assert.equal(check(proof, signersJson(), stricter).valid, false);
    const four = { ...proof, threshold: 4, signatures: [...proof.signatures, approve("op-d")] };
    assert.deepEqual(
      [check(four, signersJson(), stricter).valid, check(four, signersJson(), stricter).threshold],
      [true, 4],
    );
  });

  test("revoked keys do not count (signers.json status; absent from a JWKS)", () => {
    assert.equal(check(proof, signersJson(["op-b"])).valid, false);
    assert.equal(check(proof, jwks(["op-b"])).valid, false);
    const four = { ...proof, signatures: [...proof.signatures, approve("op-d")] };
    const r = check(four, signersJson(["op-b"]));
    assert.deepEqual([r.valid, r.validSignatures], [true, 3]);
    assert.match(r.problems.join("\n"), /op-b is revoked; not counted/);
  });

  test("one public key under two kids counts once", () => {
    const twin = {
      ...signersJson(),
      signers: [...signersJson().signers, { ...signersJson().signers[0]!, signer_kid: "op-a-twin" }],
    };
    const flawed = { ...policy, signers: [...KIDS, "op-a-twin"] };
    const p = {
      ...proof,
      signatures: [approve("op-a"), { ...approve("op-a"), kid: "op-a-twin" }, approve("op-b")],
    };
    const r = check(p, twin, flawed);
    assert.deepEqual([r.valid, r.validSignatures], [false, 2]);
  });

  test("a bad trust anchor is the caller's mistake: TypeError", () => {
    assert.throws(() => check(proof, signersJson(), { ...policy, threshold: 0 }), TypeError);
    assert.throws(() => check(proof, signersJson(), { ...policy, threshold: 6 }), TypeError);
    assert.throws(
      () => check(proof, signersJson(), { ...policy, signers: ["op-a", "op-a"], threshold: 1 }),
      TypeError,
    );
    assert.throws(() => check(proof, { nope: [] }), TypeError);
    const dup = signersJson();
    assert.throws(() => check(proof, { signers: [...dup.signers, dup.signers[0]] }), /appears twice/);
  });
});
