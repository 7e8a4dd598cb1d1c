import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { describe, test } from "node:test";
import { canonicalize, verifyMultisigProof } from "@signing-proxy/client-sdk";
import type { SignerError } from "../../src/errors.js";
import { MultisigCoordinator } from "../../src/multisig/coordinator.js";
import { signerEntry } from "../../src/routes/keys.js";
import { operator, POLICY, upgradeManifest } from "./harness.js";
import { approveBy, auditOps, type OpenStore, propose, refused, withHarness } from "./suite-helpers.js";

/** The coordinator's behaviour on one store kind; every refusal is tested with its code. */
export function runCoordinatorSuite(name: string, open: OpenStore): void {
  describe(`multisig coordinator on ${name}`, () => {
    test("3 of 5: no proof after 2 approvals, a verifying proof after 3, then frozen", () =>
      withHarness(open, async (h) => {
        const created = await propose(h, upgradeManifest(1));
        assert.equal(created.status, "pending");
        assert.deepEqual(created.signers, POLICY.signers);
        await approveBy(h, created.id, 0);
        const two = await approveBy(h, created.id, 1);
        assert.equal(two.status, "pending");
        await refused(h.coordinator.proof(h.ops[0]!, created.id, "r"), "ERR_CONFLICT", /pending/);
        const three = await approveBy(h, created.id, 2);
        assert.equal(three.status, "approved");
        const proof = await h.coordinator.proof(h.ops[3]!, created.id, "r");
        assert.equal(proof.signatures.length, 3);
        const keys = { signers: (await h.registry.list()).map(signerEntry) };
        const verdict = verifyMultisigProof(proof, { keys, policy: POLICY });
        assert.deepEqual([verdict.valid, verdict.validSignatures], [true, 3]);
        // Approval after approval is a state conflict and changes nothing.
        await refused(approveBy(h, created.id, 3), "ERR_CONFLICT", /already approved/);
        assert.deepEqual(await h.coordinator.proof(h.ops[0]!, created.id, "r"), proof);
        const ops = await auditOps(h);
        for (const op of [
          "multisig.propose:ok",
          "multisig.approve:ok:proxy",
          "multisig.approved:approved:3/3",
        ]) {
          assert.ok(ops.includes(op), op);
        }
        assert.equal(ops.filter((o) => o === "multisig.proof:ok").length, 2);
        assert.ok(ops.includes("multisig.refused:refused:multisig.proof:ERR_CONFLICT"));
        assert.ok(ops.includes("multisig.refused:refused:multisig.approve:ERR_CONFLICT"));
      }));

    test("refusals: duplicate, non-owner, key outside the policy, revoked key — none counts", () =>
      withHarness(open, async (h) => {
        const { id } = await propose(h, upgradeManifest(1));
        await approveBy(h, id, 0);
        await refused(approveBy(h, id, 0), "ERR_CONFLICT", /already approved this proposal/);
        // bob asks the proxy to sign with alice's key.
        await refused(h.coordinator.approve(h.ops[1]!, id, { kid: "op-alice-v1" }, "r"), "ERR_FORBIDDEN");
        const mallory = operator("mallory", ["op-mallory-v1"]);
        await refused(
          h.coordinator.approve(mallory, id, { kid: "op-mallory-v1" }, "r"),
          "ERR_FORBIDDEN",
          /not a signer/,
        );
        await h.registry.setStatus("op-carol-v1", "revoked");
        await refused(approveBy(h, id, 2), "ERR_FORBIDDEN", /revoked/);
        const auditor = operator("auditor", [], ["Auditor"]);
        await refused(h.coordinator.approve(auditor, id, { kid: "op-bob-v1" }, "r"), "ERR_FORBIDDEN");
        const view = await h.coordinator.get(h.ops[0]!, id);
        assert.deepEqual(
          view.approvals.map((a) => a.kid),
          ["op-alice-v1"],
        );
        const refusedEvents = (await auditOps(h)).filter((o) => o.startsWith("multisig.refused"));
        assert.equal(refusedEvents.length, 5);
      }));

    test("detached signatures made outside with node:crypto count; a wrong one is refused", () =>
      withHarness(open, async (h) => {
        const manifest = upgradeManifest(1);
        const { id, digestHex } = await propose(h, manifest);
        const digest = Buffer.from(digestHex, "hex");
        // Ed25519 signs the 32 digest bytes; ECDSA signs SHA-256(canonical manifest), i.e. the digest as prehash.
        const edSig = sign(null, digest, h.privateKeys.get("op-alice-v1")!).toString("base64");
        const ecSig = sign("sha256", Buffer.from(canonicalize(manifest)), h.privateKeys.get("op-bob-v1")!);
        const wrong = sign(null, Buffer.alloc(32, 7), h.privateKeys.get("op-alice-v1")!).toString("base64");
        await refused(
          h.coordinator.approve(h.ops[0]!, id, { kid: "op-alice-v1", signature: wrong }, "r"),
          "ERR_VALIDATION",
        );
        // bob's signature submitted under alice's kid does not verify with alice's key.
        const swapped = { kid: "op-alice-v1", signature: ecSig.toString("base64") };
        await refused(h.coordinator.approve(h.ops[0]!, id, swapped, "r"), "ERR_VALIDATION");
        await h.coordinator.approve(h.ops[0]!, id, { kid: "op-alice-v1", signature: edSig }, "r");
        const view = await h.coordinator.approve(
          h.ops[1]!,
          id,
          { kid: "op-bob-v1", signature: ecSig.toString("base64") },
          "r",
        );
        assert.deepEqual(
          view.approvals.map((a) => [a.kid, a.mode]),
          [
            ["op-alice-v1", "detached"],
            ["op-bob-v1", "detached"],
          ],
        );
      }));

    test("an expired proposal refuses approvals and reports expired", () =>
      withHarness(open, async (h) => {
        const { id } = await propose(h, upgradeManifest(1));
        await approveBy(h, id, 0);
        h.advance(24 * 3600 * 1000);
        await refused(approveBy(h, id, 1), "ERR_CONFLICT", /expired/);
        assert.equal((await h.coordinator.get(h.ops[0]!, id)).status, "expired");
        await refused(h.coordinator.proof(h.ops[0]!, id, "r"), "ERR_CONFLICT", /expired/);
      }));

    test("rollback protection: a version not above the last approved one is refused or rejected", () =>
      withHarness(open, async (h) => {
        const v2 = await propose(h, upgradeManifest(2));
        const v3 = await propose(h, upgradeManifest(3));
        for (const i of [0, 1, 2]) await approveBy(h, v3.id, i);
        await refused(propose(h, upgradeManifest(3)), "ERR_CONFLICT", /not above approved version 3/);
        await refused(approveBy(h, v2.id, 0), "ERR_CONFLICT", /rejected: version 2 is not above/);
        assert.equal((await h.coordinator.get(h.ops[0]!, v2.id)).status, "rejected");
        await refused(approveBy(h, v2.id, 1), "ERR_CONFLICT", /already rejected/);
        const rollback = upgradeManifest(4, { type: "rollback", rollbackTo: 2 });
        const r = await propose(h, rollback);
        for (const i of [2, 3, 4]) await approveBy(h, r.id, i);
        assert.equal((await h.coordinator.get(h.ops[0]!, r.id)).status, "approved");
        // Another target has its own version line.
        await propose(h, upgradeManifest(1, { target: "signer" }));
      }));

    test("a proposal whose policy changed since it was made is rejected, not approved under new rules", () =>
      withHarness(open, async (h) => {
        const { id } = await propose(h, upgradeManifest(1));
        // A restart with a weaker policy of the same name must not approve the old proposal with 2.
        const weaker = await MultisigCoordinator.create({
          policies: [{ ...POLICY, threshold: 2 }],
          store: h.store,
          registry: h.registry,
          audit: h.audit,
          now: () => new Date("2030-01-01T00:00:01Z"),
        });
        await refused(
          weaker.approve(h.ops[0]!, id, { kid: "op-alice-v1" }, "r"),
          "ERR_CONFLICT",
          /policy upgrades changed/,
        );
        assert.equal((await h.coordinator.get(h.ops[0]!, id)).status, "rejected");
      }));

    test("racing approvals: exactly threshold count, one proof", () =>
      withHarness(open, async (h) => {
        const { id } = await propose(h, upgradeManifest(1));
        const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => approveBy(h, id, i)));
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
        for (const r of results)
          if (r.status === "rejected") assert.equal((r.reason as SignerError).code, "ERR_CONFLICT");
        const state = await h.store.getProposal(id);
        assert.equal(state?.approvals.length, 3);
        assert.equal((await h.coordinator.proof(h.ops[0]!, id, "r")).signatures.length, 3);
        assert.equal((await auditOps(h)).filter((o) => o.startsWith("multisig.approved")).length, 1);
      }));
  });
}
