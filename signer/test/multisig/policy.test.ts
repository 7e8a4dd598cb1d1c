import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { test } from "node:test";
import { MultisigPolicyError, validatePolicies } from "../../src/multisig/policy.js";
import type { KeyRecord } from "../../src/store/store.js";
import { generateKey } from "./harness.js";

function record(kid: string, pem: string | null, alg: KeyRecord["alg"] = "ed25519"): KeyRecord {
  return {
    kid,
    alg,
    publicKeyPem: pem,
    status: "active",
    deployedAt: "",
    updatedAt: "",
    description: "",
    backend: "softkey",
  };
}

const pemOf = () =>
  createPublicKey(generateKey("ed25519")).export({ type: "spki", format: "pem" }).toString();
// A private key yields the same public key however it is loaded; pin it to one PEM for two kids.
const shared = pemOf();

test("policies pass when every signer has its own public key", () => {
  const records = [record("a", pemOf()), record("b", pemOf()), record("c", pemOf())];
  validatePolicies([{ id: "p", threshold: 2, signers: ["a", "b", "c"] }], records);
});

test("two kids sharing one public key in a policy refuse start-up with both kids named", () => {
  const records = [record("a", shared), record("b", pemOf()), record("a-twin", shared)];
  assert.throws(
    () => validatePolicies([{ id: "upgrades", threshold: 2, signers: ["a", "b", "a-twin"] }], records),
    (err: unknown) =>
      err instanceof MultisigPolicyError &&
      /upgrades: a and a-twin are the same public key/.test(err.message),
  );
});

test("the same key in two different policies is fine (each counts within its own policy)", () => {
  const records = [record("a", shared), record("b", pemOf()), record("a-twin", shared)];
  validatePolicies(
    [
      { id: "p1", threshold: 1, signers: ["a", "b"] },
      { id: "p2", threshold: 1, signers: ["a-twin", "b"] },
    ],
    records,
  );
});

test("an HMAC signer is refused: nobody else could verify its approval", () => {
  const records = [record("a", pemOf()), record("h", null, "hmac-sha256")];
  assert.throws(
    () => validatePolicies([{ id: "p", threshold: 1, signers: ["a", "h"] }], records),
    /asymmetric/,
  );
});
