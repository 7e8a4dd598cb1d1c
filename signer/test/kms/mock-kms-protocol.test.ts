import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import { ListKeysCommand, SignCommand } from "@aws-sdk/client-kms";
import { createKmsKey, startTestMockKms, type TestMockKms } from "../../../test/helpers/mock-kms.js";
import { importSoftKey } from "../../src/backends/softkey/load-key.js";
import { signDigest } from "../../src/backends/softkey/sign-digest.js";

const AUTH =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, " +
  `SignedHeaders=host;x-amz-date;x-amz-target, Signature=${"0".repeat(64)}`;
type Json = Record<string, unknown>;

/** One raw KMS JSON 1.1 call, as the SDK would send it (but without a real signature). */
async function raw(url: string, op: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `TrentService.${op}`,
      authorization: AUTH,
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Json };
}
const b64 = (bytes: Buffer) => bytes.toString("base64");

describe("mock-kms protocol", () => {
  let kms: TestMockKms;
  let url: string;
  before(async () => {
    kms = await startTestMockKms();
    url = kms.url;
  });
  after(async () => kms?.close());
  beforeEach(() => kms.setFaults({ latencyMs: 0, throttleRate: 0, failRate: 0 }));

  test("requests without a SigV4 Authorization header are refused with the real error shape", async () => {
    const missing = await raw(url, "ListKeys", {}, { authorization: "" });
    assert.equal(missing.status, 400);
    assert.equal(missing.type, "application/x-amz-json-1.1");
    assert.deepEqual(missing.body, {
      __type: "MissingAuthenticationTokenException",
      message: "Request is missing Authentication Token",
    });
    const res = await fetch(url, {
      method: "POST",
      headers: { "x-amz-target": "TrentService.ListKeys" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Json).__type, "MissingAuthenticationTokenException");
    const basic = await raw(url, "ListKeys", {}, { authorization: "Basic dXNlcjpwYXNz" });
    assert.equal(basic.body.__type, "IncompleteSignatureException");
  });

  test("unknown operations, wrong content type and bad JSON", async () => {
    assert.equal((await raw(url, "ScheduleKeyDeletion", {})).body.__type, "UnknownOperationException");
    assert.equal(
      (await raw(url, "ListKeys", {}, { "content-type": "application/json" })).body.__type,
      "SerializationException",
    );
    assert.equal((await raw(url, "ListKeys", "{not json")).body.__type, "SerializationException");
    assert.equal((await fetch(`${url}/`)).status, 404);
  });

  test("NotFoundException, DisabledException, InvalidKeyUsageException and ValidationException", async () => {
    const missing = await raw(url, "DescribeKey", { KeyId: "0123abcd-0000-4000-8000-00000000abcd" });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.__type, "NotFoundException");
    assert.match(
      String(missing.body.message),
      /^Key 'arn:aws:kms:us-east-1:111122223333:key\/0123abcd-.*' does not exist$/,
    );
    assert.equal((await raw(url, "DescribeKey", {})).body.__type, "ValidationException");
    assert.equal(
      (await raw(url, "CreateKey", { KeySpec: "HMAC_256", KeyUsage: "SIGN_VERIFY" })).body.__type,
      "ValidationException",
    );
    assert.equal((await raw(url, "CreateKey", {})).body.__type, "ValidationException");

    const ed = await createKmsKey(kms.client, "ed25519");
    const mac = await createKmsKey(kms.client, "hmac-sha256");
    const digest = b64(randomBytes(32));
    const sign = (KeyId: string, extra: Json) =>
      raw(url, "Sign", {
        KeyId,
        Message: digest,
        SigningAlgorithm: "ED25519_SHA_512",
        MessageType: "RAW",
        ...extra,
      });
    assert.equal((await sign(mac.keyId, {})).body.__type, "InvalidKeyUsageException");
    assert.equal(
      (await sign(ed.keyId, { SigningAlgorithm: "ECDSA_SHA_256" })).body.__type,
      "InvalidKeyUsageException",
    );
    assert.match(
      String((await sign(ed.keyId, { MessageType: "DIGEST" })).body.message),
      /requires MessageType RAW/,
    );
    assert.equal((await sign(ed.keyId, { Message: "***" })).body.__type, "ValidationException");
    assert.equal(
      (await raw(url, "GetPublicKey", { KeyId: mac.keyId })).body.__type,
      "UnsupportedOperationException",
    );

    assert.deepEqual((await raw(url, "DisableKey", { KeyId: ed.keyId })).body, {});
    const off = await sign(ed.arn, {});
    assert.deepEqual(
      [off.status, off.body.__type, off.body.message],
      [400, "DisabledException", `${ed.arn} is disabled.`],
    );
    assert.equal(
      (await raw(url, "DescribeKey", { KeyId: ed.keyId })).body.KeyMetadata instanceof Object,
      true,
    );
    await raw(url, "EnableKey", { KeyId: ed.keyId });
    assert.equal((await sign(ed.arn, {})).status, 200);
  });

  test("Verify and VerifyMac: valid answers, and KMSInvalid*Exception for a wrong signature", async () => {
    const ec = await createKmsKey(kms.client, "ecdsa-sha256");
    const digest = b64(randomBytes(32));
    const common = {
      KeyId: ec.keyId,
      Message: digest,
      MessageType: "DIGEST",
      SigningAlgorithm: "ECDSA_SHA_256",
    };
    const signed = await raw(url, "Sign", common);
    assert.equal(signed.body.KeyId, ec.arn);
    assert.equal(typeof signed.body.Signature, "string", "blobs are base64 strings in JSON");
    const ok = await raw(url, "Verify", { ...common, Signature: signed.body.Signature });
    assert.deepEqual(ok.body, { KeyId: ec.arn, SignatureValid: true, SigningAlgorithm: "ECDSA_SHA_256" });
    const bad = await raw(url, "Verify", {
      ...common,
      Message: b64(randomBytes(32)),
      Signature: signed.body.Signature,
    });
    assert.deepEqual([bad.status, bad.body.__type], [400, "KMSInvalidSignatureException"]);
    assert.equal(
      (await raw(url, "Sign", { ...common, Message: b64(randomBytes(31)) })).body.__type,
      "ValidationException",
    );

    const mac = await createKmsKey(kms.client, "hmac-sha256");
    const m = { KeyId: mac.keyId, Message: digest, MacAlgorithm: "HMAC_SHA_256" };
    const made = await raw(url, "GenerateMac", m);
    assert.equal(Buffer.from(String(made.body.Mac), "base64").length, 32);
    assert.equal((await raw(url, "VerifyMac", { ...m, Mac: made.body.Mac })).body.MacValid, true);
    const wrong = await raw(url, "VerifyMac", { ...m, Mac: b64(randomBytes(32)) });
    assert.deepEqual([wrong.status, wrong.body.__type], [400, "KMSInvalidMacException"]);
  });

  test("fault injection through POST /_faults: throttling (400), internal errors (500), latency", async () => {
    const set = (body: unknown) => fetch(`${url}/_faults`, { method: "POST", body: JSON.stringify(body) });
    assert.equal((await set({ throttleRate: 1 })).status, 200);
    const throttled = await raw(url, "ListKeys", {});
    assert.deepEqual(
      [throttled.status, throttled.body],
      [400, { __type: "ThrottlingException", message: "Rate exceeded" }],
    );
    await set({ throttleRate: 0, failRate: 1 });
    const failed = await raw(url, "ListKeys", {});
    assert.deepEqual([failed.status, failed.body.__type], [500, "KMSInternalException"]);
    await set({ failRate: 0, latencyMs: 150 });
    const started = performance.now();
    assert.equal((await raw(url, "ListKeys", {})).status, 200);
    assert.ok(performance.now() - started >= 140);
    assert.deepEqual(await (await fetch(`${url}/_faults`)).json(), {
      latencyMs: 150,
      throttleRate: 0,
      failRate: 0,
    });
    for (const bad of [{ throttleRate: 2 }, { failRate: -1 }, { latencyMs: "x" }, { colour: 1 }, [1]]) {
      const res = await set(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
  });

  test("aliases resolve by name and ARN; duplicates, alias targets and alias/aws/ are refused", async () => {
    const rsa = await createKmsKey(kms.client, "rsa-sha256", "alias/proto-rsa");
    for (const KeyId of ["alias/proto-rsa", "arn:aws:kms:us-east-1:111122223333:alias/proto-rsa"]) {
      const res = await raw(url, "DescribeKey", { KeyId });
      assert.equal((res.body.KeyMetadata as Json).Arn, rsa.arn);
    }
    const again = await raw(url, "CreateAlias", { AliasName: "alias/proto-rsa", TargetKeyId: rsa.keyId });
    assert.equal(again.body.__type, "AlreadyExistsException");
    assert.equal(
      (await raw(url, "CreateAlias", { AliasName: "alias/x2", TargetKeyId: "alias/proto-rsa" })).body.__type,
      "ValidationException",
    );
    assert.equal(
      (await raw(url, "CreateAlias", { AliasName: "alias/aws/kms", TargetKeyId: rsa.keyId })).body.__type,
      "ValidationException",
    );
    assert.equal((await raw(url, "DescribeKey", { KeyId: "alias/nope" })).body.__type, "NotFoundException");
  });

  test("ListKeys pages with Limit and Marker", async () => {
    await createKmsKey(kms.client, "ed25519");
    const all = (await kms.client.send(new ListKeysCommand({}))).Keys ?? [];
    const first = await kms.client.send(new ListKeysCommand({ Limit: 1 }));
    assert.equal(first.Keys?.length, 1);
    assert.equal(first.Truncated, all.length > 1);
    const rest = await kms.client.send(new ListKeysCommand({ Limit: 1000, Marker: first.NextMarker }));
    assert.equal((rest.Keys?.length ?? 0) + 1, all.length);
  });

  test("signatures are byte-identical to the softkey backend's for the same key material", async () => {
    for (const alg of ["ed25519", "rsa-sha256"] as const) {
      const { keyId } = await createKmsKey(kms.client, alg);
      const state = JSON.parse(readFileSync(kms.statePath, "utf8")) as {
        keys: { keyId: string; material: string }[];
      };
      const pem = state.keys.find((k) => k.keyId === keyId)!.material;
      const digest = randomBytes(32);
      const out = await kms.client.send(
        new SignCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: alg === "ed25519" ? "RAW" : "DIGEST",
          SigningAlgorithm: alg === "ed25519" ? "ED25519_SHA_512" : "RSASSA_PKCS1_V1_5_SHA_256",
        }),
      );
      assert.deepEqual(
        Buffer.from(out.Signature!),
        signDigest(importSoftKey("x", alg, Buffer.from(pem)), digest),
      );
    }
  });
});
