import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { opensslVerify } from "../helpers/openssl.js";
import { call } from "../helpers/tls-client.js";
import { kidOf, type MultisigFixture, startMultisigFixture } from "./multisig-fixture.js";

type Json = Record<string, unknown>;
const codeOf = (body: unknown) => (body as { error: { code: string } }).error.code;

describe("key rotation through approved manifests", () => {
  let m: MultisigFixture;
  before(async () => {
    m = await startMultisigFixture();
  });
  after(async () => m.close());

  const statusOf = async (kid: string) => ((await m.call("auditor", `/keys/${kid}`)).body as Json).status;
  const jwksKids = async () =>
    (((await m.call("auditor", "/.well-known/jwks.json")).body as { keys: Json[] }).keys ?? []).map(
      (k) => k.kid,
    );
  const signWith = (kid: string, digestHex: string) =>
    m.call("memory-layer", "/sign/hash", { digestHex, kid });
  const verifyWith = async (kid: string, signature: string, digestHex: string) =>
    ((await m.call("memory-layer", "/verify", { kid, signature, digestHex })).body as Json).valid;

  async function approveBy3(manifest: Json): Promise<string> {
    const created = await m.call("alice", "/multisig/proposals", { policy: "upgrades", manifest });
    assert.equal(created.status, 201, created.text);
    const id = (created.body as Json).id as string;
    for (const name of ["alice", "bob", "carol"]) {
      const r = await m.call(name, `/multisig/proposals/${id}/approvals`, { kid: kidOf(name) });
      assert.equal(r.status, 201, r.text);
    }
    assert.equal(((await m.call("alice", `/multisig/proposals/${id}`)).body as Json).status, "approved");
    return id;
  }

  const expires = () => new Date(Date.now() + 600_000).toISOString();
  const digest = randomBytes(32).toString("hex");
  let oldSignature = "";
  let newSignature = "";

  test("an approved key-promotion makes the candidate sign and retires the key it replaces", async () => {
    const before = await signWith("svc-old-v1", digest);
    assert.equal(before.status, 200, before.text);
    oldSignature = (before.body as Json).signature as string;
    assert.equal(await statusOf("svc-new-v2"), "candidate");
    const refused = await signWith("svc-new-v2", digest);
    assert.deepEqual([refused.status, codeOf(refused.body)], [409, "ERR_KEY_NOT_ACTIVE"]);

    await approveBy3({
      type: "key-promotion",
      target: "keys/memory-layer",
      version: 1,
      expires: expires(),
      kid: "svc-new-v2",
      replaces: "svc-old-v1",
    });

    assert.equal(await statusOf("svc-new-v2"), "active");
    assert.equal(await statusOf("svc-old-v1"), "retired");
    const mgmt = await call(undefined, `${m.fx.service.managementUrl}/keys/svc-new-v2`);
    assert.equal((mgmt.body as Json).status, "active", "the management port agrees at once");
    const signed = await signWith("svc-new-v2", digest);
    assert.equal(signed.status, 200, signed.text);
    newSignature = (signed.body as Json).signature as string;
    const pem = ((await m.call("auditor", "/keys/svc-new-v2")).body as Json).public_key_pem as string;
    assert.ok(opensslVerify("ed25519", pem, Buffer.from(digest, "hex"), Buffer.from(newSignature, "base64")));
    const retired = await signWith("svc-old-v1", digest);
    assert.deepEqual([retired.status, codeOf(retired.body)], [409, "ERR_KEY_NOT_ACTIVE"]);
    assert.equal(await verifyWith("svc-old-v1", oldSignature, digest), true, "a retired key still verifies");
    assert.ok((await jwksKids()).includes("svc-old-v1"));
  });

  test("an approved key-revocation makes the key neither sign nor verify, and removes it from JWKS", async () => {
    assert.ok(newSignature, "needs the promoted key of the previous test");
    assert.equal(await verifyWith("svc-new-v2", newSignature, digest), true);
    await approveBy3({
      type: "key-revocation",
      target: "keys/memory-layer",
      version: 2,
      expires: expires(),
      kid: "svc-new-v2",
    });
    assert.equal(await statusOf("svc-new-v2"), "revoked");
    const refused = await signWith("svc-new-v2", digest);
    assert.deepEqual([refused.status, codeOf(refused.body)], [409, "ERR_KEY_NOT_ACTIVE"]);
    assert.equal(await verifyWith("svc-new-v2", newSignature, digest), false);
    assert.equal((await jwksKids()).includes("svc-new-v2"), false);
  });

  test("a second promotion of the same key, or revoking the audit key, is refused up front", async () => {
    const again = await m.call("alice", "/multisig/proposals", {
      policy: "upgrades",
      manifest: {
        type: "key-promotion",
        target: "keys/memory-layer",
        version: 3,
        expires: expires(),
        kid: "svc-new-v2",
      },
    });
    assert.deepEqual([again.status, codeOf(again.body)], [409, "ERR_CONFLICT"]);
    const audit = await m.call("alice", "/multisig/proposals", {
      policy: "upgrades",
      manifest: {
        type: "key-revocation",
        target: "keys/audit",
        version: 1,
        expires: expires(),
        kid: "audit-v1",
      },
    });
    assert.deepEqual([audit.status, codeOf(audit.body)], [409, "ERR_CONFLICT"]);
  });
});

test("start-up refuses a policy in which two kids share one public key", async () => {
  await assert.rejects(
    startMultisigFixture({ twinOf: "alice" }),
    /op-alice-v1 and op-twin-v1 are the same public key/,
  );
});
