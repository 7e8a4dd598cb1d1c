import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { canonicalize, type MultisigProof, verifyMultisigProof } from "@signing-proxy/client-sdk";
import { opensslVerify } from "../helpers/openssl.js";
import {
  kidOf,
  type MultisigFixture,
  POLICY,
  startMultisigFixture,
  upgradeManifest,
} from "./multisig-fixture.js";

type Json = Record<string, unknown>;
const codeOf = (body: unknown) => (body as { error: { code: string } }).error.code;

describe("multisig routes: 3 of 5 over mTLS", () => {
  let m: MultisigFixture;
  let proof: MultisigProof;
  let proposalId: string;
  before(async () => {
    m = await startMultisigFixture();
  });
  after(async () => m.close());

  const approve = (name: string, id: string, body: Json = { kid: kidOf(name) }) =>
    m.call(name, `/multisig/proposals/${id}/approvals`, body);

  test("2 approvals: proof 409; the 3rd (a detached ECDSA signature) approves; the proof verifies everywhere", async () => {
    const manifest = upgradeManifest(1);
    const created = await m.call("alice", "/multisig/proposals", { policy: "upgrades", manifest });
    assert.equal(created.status, 201, created.text);
    const body = created.body as Json;
    assert.deepEqual(Object.keys(body).sort(), ["digestHex", "id", "signers", "status", "threshold"]);
    assert.deepEqual([body.status, body.threshold, body.signers], ["pending", 3, POLICY.signers]);
    proposalId = body.id as string;
    assert.equal((await approve("alice", proposalId)).status, 201);
    assert.equal((await approve("carol", proposalId)).status, 201);
    const early = await m.call("bob", `/multisig/proposals/${proposalId}/proof`);
    assert.deepEqual([early.status, codeOf(early.body)], [409, "ERR_CONFLICT"]);
    // bob signs outside the proxy: ECDSA P-256 over SHA-256(canonical manifest) = over the digest as prehash.
    const detached = sign("sha256", Buffer.from(canonicalize(manifest)), m.privateKeys.get(kidOf("bob"))!);
    const third = await approve("bob", proposalId, {
      kid: kidOf("bob"),
      signature: detached.toString("base64"),
    });
    assert.equal(third.status, 201, third.text);
    const view = third.body as { status: string; approvals: Json[] };
    assert.equal(view.status, "approved");
    assert.deepEqual(
      view.approvals.map((a) => [a.kid, a.approver, a.mode]),
      [
        [kidOf("alice"), "alice", "proxy"],
        [kidOf("carol"), "carol", "proxy"],
        [kidOf("bob"), "bob", "detached"],
      ],
    );
    assert.ok(
      view.approvals.every((a) => !("signature" in a)),
      "signatures travel only in the audited proof",
    );

    const got = await m.call("dave", `/multisig/proposals/${proposalId}/proof`);
    assert.equal(got.status, 200, got.text);
    proof = got.body as MultisigProof;
    assert.deepEqual(Object.keys(proof).sort(), [
      "digestHex",
      "manifest",
      "policy",
      "signatures",
      "threshold",
    ]);
    assert.deepEqual(proof.manifest, manifest);
    assert.equal(proof.digestHex, body.digestHex);

    const keys = (await m.call("auditor", "/keys")).body as { signers: Json[] };
    const pems = new Map(keys.signers.map((s) => [s.signer_kid as string, s.public_key_pem as string]));
    for (const s of proof.signatures) {
      const ok = opensslVerify(
        s.alg,
        pems.get(s.kid)!,
        Buffer.from(proof.digestHex, "hex"),
        Buffer.from(s.signature, "base64"),
      );
      assert.ok(ok, `openssl verifies ${s.kid}`);
    }
    const viaRoute = await m.call("auditor", "/multisig/verify", { proof });
    assert.deepEqual(viaRoute.body, { valid: true, validSignatures: 3, threshold: 3 });
    assert.equal(verifyMultisigProof(proof, { keys, policy: POLICY }).valid, true);
    const jwks = (await m.call("auditor", "/.well-known/jwks.json")).body;
    assert.equal(verifyMultisigProof(proof, { keys: jwks, policy: POLICY }).valid, true);
  });

  test("a proof altered in any field fails /multisig/verify; the threshold comes from the trusted policy", async () => {
    assert.ok(proof, "needs the approved proof of the first test");
    const s = proof.signatures;
    const flipped = Buffer.from(s[0]!.signature, "base64");
    flipped[flipped.length - 1]! ^= 1;
    const forged = sign(null, Buffer.from(proof.digestHex, "hex"), m.privateKeys.get("op-mallory-v1")!);
    const altered: Record<string, unknown> = {
      manifest: { ...proof, manifest: { ...proof.manifest, version: 2 } },
      digestHex: { ...proof, digestHex: "f".repeat(64) },
      "one signature": {
        ...proof,
        signatures: [{ ...s[0], signature: flipped.toString("base64") }, s[1], s[2]],
      },
      threshold: { ...proof, threshold: 2 },
      "policy name": { ...proof, policy: "rollbacks" },
      "extra forged signature with an unknown kid": {
        ...proof,
        signatures: [...s, { kid: "op-ghost-v1", alg: "ed25519", signature: forged.toString("base64") }],
      },
      "extra signature by a key outside the policy": {
        ...proof,
        signatures: [...s, { kid: "op-mallory-v1", alg: "ed25519", signature: forged.toString("base64") }],
      },
      "two signatures dropped": { ...proof, signatures: [s[0]] },
    };
    for (const [what, p] of Object.entries(altered)) {
      const r = await m.call("auditor", "/multisig/verify", { proof: p });
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      assert.equal((r.body as Json).valid, false, what);
    }
    const unknown = await m.call("auditor", "/multisig/verify", { proof: { ...proof, policy: "rollbacks" } });
    assert.deepEqual(unknown.body, { valid: false, validSignatures: 0, threshold: 0 });
  });

  test("refusals: non-owner, key outside the policy, duplicate, after approval, version not above, no permission", async () => {
    const { id } = (
      await m.call("alice", "/multisig/proposals", { policy: "upgrades", manifest: upgradeManifest(2) })
    ).body as { id: string };
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string][] = [];
    const nonOwner = await approve("bob", id, { kid: kidOf("alice") });
    cases.push(["non-owner", Promise.resolve(nonOwner), 403, "ERR_FORBIDDEN"]);
    cases.push([
      "outside the policy",
      approve("mallory", id, { kid: "op-mallory-v1" }),
      403,
      "ERR_FORBIDDEN",
    ]);
    assert.equal((await approve("erin", id)).status, 201);
    cases.push(["duplicate", approve("erin", id), 409, "ERR_CONFLICT"]);
    cases.push(["after approval", approve("dave", proposalId), 409, "ERR_CONFLICT"]);
    cases.push([
      "version not above",
      m.call("alice", "/multisig/proposals", { policy: "upgrades", manifest: upgradeManifest(1) }),
      409,
      "ERR_CONFLICT",
    ]);
    cases.push([
      "service may not propose",
      m.call("memory-layer", "/multisig/proposals", { policy: "upgrades", manifest: upgradeManifest(9) }),
      403,
      "ERR_FORBIDDEN",
    ]);
    cases.push([
      "unknown policy",
      m.call("alice", "/multisig/proposals", { policy: "nope", manifest: upgradeManifest(9) }),
      404,
      "ERR_NOT_FOUND",
    ]);
    cases.push([
      "bad manifest",
      m.call("alice", "/multisig/proposals", {
        policy: "upgrades",
        manifest: upgradeManifest(9, { expires: "tomorrow" }),
      }),
      400,
      "ERR_VALIDATION",
    ]);
    cases.push([
      "unknown proposal",
      approve("alice", "00000000-0000-0000-0000-000000000000"),
      404,
      "ERR_NOT_FOUND",
    ]);
    for (const [what, pending, status, code] of cases) {
      const r = await pending;
      assert.deepEqual([r.status, codeOf(r.body)], [status, code], what);
    }
    const view = (await m.call("carol", `/multisig/proposals/${id}`)).body as {
      approvals: Json[];
      status: string;
    };
    assert.deepEqual([view.status, view.approvals.length], ["pending", 1]);
  });

  test("every step is in the audit log, with the proposal digest", async () => {
    const page = (await m.call("auditor", "/audit/events?limit=1000")).body as { events: Json[] };
    const multisig = page.events.filter((e) => String(e.op).startsWith("multisig."));
    const ops = multisig.map((e) => e.op);
    for (const op of [
      "multisig.propose",
      "multisig.approve",
      "multisig.approved",
      "multisig.proof",
      "multisig.refused",
      "multisig.verify",
    ]) {
      assert.ok(ops.includes(op), op);
    }
    const approvals = multisig.filter((e) => e.op === "multisig.approve" && e.digestHex === proof.digestHex);
    assert.deepEqual(
      approvals.map((e) => [e.principal, e.kid]),
      [
        ["alice", kidOf("alice")],
        ["carol", kidOf("carol")],
        ["bob", kidOf("bob")],
      ],
    );
    const refusals = multisig.filter((e) => e.op === "multisig.refused").map((e) => e.result);
    assert.ok(refusals.includes("refused:multisig.approve:ERR_FORBIDDEN"));
    assert.ok(refusals.includes("refused:multisig.proof:ERR_CONFLICT"));
  });
});
