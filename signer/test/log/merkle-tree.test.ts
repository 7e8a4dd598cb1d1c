import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from "@signing-proxy/client-sdk";
import { MerkleTree } from "../../src/log/merkle-tree.js";

const leaves = Array.from({ length: 70 }, (_, i) =>
  leafHash(createHash("sha256").update(String(i)).digest()),
);

describe("MerkleTree", () => {
  const tree = new MerkleTree();
  for (const l of leaves) tree.append(l);

  test("roots match the reference MTH for every size", () => {
    for (let n = 0; n <= leaves.length; n++)
      assert.deepEqual(tree.root(n), rootFromLeafHashes(leaves.slice(0, n)));
  });

  test("every inclusion proof verifies, and fails for a neighbouring index", () => {
    for (let n = 1; n <= leaves.length; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        assert.ok(verifyInclusion(i, n, leaves[i]!, proof, tree.root(n)), `${i}/${n}`);
        if (n > 1) assert.ok(!verifyInclusion((i + 1) % n, n, leaves[i]!, proof, tree.root(n)), `${i}/${n}`);
      }
    }
  });

  test("every consistency proof verifies, and fails against an altered old root", () => {
    for (let n = 1; n <= leaves.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        assert.ok(verifyConsistency(m, n, proof, tree.root(m), tree.root(n)), `${m}->${n}`);
        const forged = Buffer.from(tree.root(m));
        forged[0]! ^= 1;
        assert.ok(!verifyConsistency(m, n, proof, forged, tree.root(n)), `${m}->${n}`);
      }
    }
  });

  test("out-of-range requests throw", () => {
    assert.throws(() => tree.inclusionProof(70, 70), RangeError);
    assert.throws(() => tree.consistencyProof(0, 5), RangeError);
    assert.throws(() => tree.root(71), RangeError);
  });
});
