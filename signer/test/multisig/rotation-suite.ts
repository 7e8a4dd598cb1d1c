import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { describe, test } from "node:test";
import { verifyMultisigProof } from "@signing-proxy/client-sdk";
import { signerEntry } from "../../src/routes/keys.js";
import { POLICY, upgradeManifest } from "./harness.js";
import { approveBy, auditOps, type OpenStore, propose, refused, withHarness } from "./suite-helpers.js";

/** Key rotation through approved manifests, and the store's atomicity, on one store kind. */
export function runKeyRotationSuite(name: string, open: OpenStore): void {
  describe(`multisig key rotation on ${name}`, () => {
    test("the store applies a decision atomically: a failing write or decider leaves nothing behind", () =>
      withHarness(open, async (h) => {
        const { id } = await propose(h, upgradeManifest(1));
        assert.equal(await h.store.decideApproval("no-such-id", [], () => assert.fail("not called")), null);
        await assert.rejects(
          h.store.decideApproval(id, [], () => {
            throw new Error("boom");
          }),
          /boom/,
        );
        const approval = {
          proposalId: id,
          seq: 0,
          kid: "op-alice-v1",
          alg: "ed25519",
          signature: "AA==",
          keyFingerprint: "0".repeat(64),
          approver: "alice",
          mode: "proxy" as const,
          createdAt: "2030-01-01T00:00:00Z",
        };
        const decision = { status: "approved" as const, decidedAt: "2030-01-01T00:00:00Z", proofJson: "{}" };
        // The last write fails (unknown kid): the approval and the decision before it are rolled back.
        const failing = () => ({
          writes: { approval, decision, keyStatuses: [{ kid: "ghost", status: "revoked" as const }] },
          result: 1,
        });
        await assert.rejects(h.store.decideApproval(id, [], failing));
        const state = await h.store.getProposal(id);
        assert.deepEqual(
          [state?.proposal.status, state?.approvals.length, state?.proposal.proofJson],
          ["pending", 0, null],
        );
      }));

    test("key promotion activates the candidate and retires the key it replaces, atomically", () =>
      withHarness(open, async (h) => {
        const promotion = {
          type: "key-promotion",
          target: "keys",
          version: 1,
          expires: "2030-01-02T00:00:00Z",
          kid: "svc-new-v2",
          replaces: "svc-old-v1",
        };
        const { id } = await propose(h, promotion);
        for (const i of [0, 1]) await approveBy(h, id, i);
        assert.equal((await h.registry.get("svc-new-v2")).status, "candidate");
        await refused(h.registry.signer("svc-new-v2"), "ERR_KEY_NOT_ACTIVE");
        await approveBy(h, id, 2);
        assert.equal((await h.registry.get("svc-new-v2")).status, "active");
        assert.equal((await h.registry.get("svc-old-v1")).status, "retired");
        await h.registry.signer("svc-new-v2");
        await refused(h.registry.signer("svc-old-v1"), "ERR_KEY_NOT_ACTIVE");
        const ops = await auditOps(h);
        assert.ok(ops.includes("keys.active:ok") && ops.includes("keys.retired:ok"));
        // Promoting again is refused: the key is no longer a candidate.
        await refused(propose(h, { ...promotion, version: 2 }), "ERR_CONFLICT", /only a candidate/);
      }));

    test("key revocation: the revoked key neither signs nor verifies; it cannot vote itself out", () =>
      withHarness(open, async (h) => {
        const revocation = {
          type: "key-revocation",
          target: "keys",
          version: 1,
          expires: "2030-01-02T00:00:00Z",
          kid: "op-erin-v1",
        };
        const { id } = await propose(h, revocation);
        for (const i of [4, 0, 1]) await approveBy(h, id, i);
        assert.equal(
          (await h.coordinator.get(h.ops[0]!, id)).status,
          "pending",
          "erin's own approval does not count",
        );
        await approveBy(h, id, 2);
        assert.equal((await h.registry.get("op-erin-v1")).status, "revoked");
        const proof = await h.coordinator.proof(h.ops[0]!, id, "r");
        assert.deepEqual(
          proof.signatures.map((s) => s.kid),
          ["op-alice-v1", "op-bob-v1", "op-carol-v1"],
        );
        const keys = { signers: (await h.registry.list()).map(signerEntry) };
        assert.equal(verifyMultisigProof(proof, { keys, policy: POLICY }).valid, true);
        await refused(h.registry.signer("op-erin-v1"), "ERR_KEY_NOT_ACTIVE");
        const sig = sign(null, Buffer.from(proof.digestHex, "hex"), h.privateKeys.get("op-erin-v1")!);
        assert.equal(
          (await h.registry.verify("op-erin-v1", Buffer.from(proof.digestHex, "hex"), sig)).valid,
          false,
        );
        await refused(propose(h, { ...revocation, version: 2 }), "ERR_CONFLICT", /already revoked/);
        await refused(
          propose(h, { ...revocation, version: 2, kid: "audit-v1" }),
          "ERR_CONFLICT",
          /audit key/,
        );
      }));
  });
}
