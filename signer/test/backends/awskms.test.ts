import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { DisableKeyCommand, EnableKeyCommand } from "@aws-sdk/client-kms";
import {
  createKmsKey,
  mockAwsConfig,
  startTestMockKms,
  type TestMockKms,
} from "../../../test/helpers/mock-kms.js";
import type { Alg } from "../../src/algorithms.js";
import { parseAwsKmsUri } from "../../src/backends/awskms/uri.js";
import {
  BackendConfigError,
  type BackendContext,
  BackendUnavailableError,
} from "../../src/backends/backend.js";
import { createBackend, registeredSchemes } from "../../src/backends/registry.js";
import type { KeyConfig } from "../../src/config/types.js";
import { runBackendConformance } from "./conformance.js";
import { testKeyConfig } from "./key-config.js";

let kms: TestMockKms;
let ctx: BackendContext;
before(async () => {
  kms = await startTestMockKms();
  ctx = { strict: false, dataDir: "/nonexistent", aws: mockAwsConfig(kms.url) };
});
after(async () => kms?.close());

function kmsKey(alg: Alg, uri: string): KeyConfig {
  return testKeyConfig("kms", alg, uri);
}

/** Expect createBackend to refuse `key` with a BackendConfigError matching `pattern`. */
async function refuses(key: KeyConfig, pattern: RegExp, context: BackendContext = ctx): Promise<void> {
  await assert.rejects(createBackend(key, context), (err: unknown) => {
    assert.ok(err instanceof BackendConfigError, String(err));
    assert.match(err.message, new RegExp(`^key ${key.kid}: `));
    assert.match(err.message, pattern);
    return true;
  });
}

/** KMS key ids by kid, so the HMAC secret can be read back from mock-kms's state file for openssl. */
const keyIds = new Map<string, string>();
function hmacSecretFromState(backend: { kid: string }): Buffer | undefined {
  const state = JSON.parse(readFileSync(kms.statePath, "utf8")) as {
    keys: { keyId: string; material: string }[];
  };
  const key = state.keys.find((k) => k.keyId === keyIds.get(backend.kid));
  return key ? Buffer.from(key.material, "base64") : undefined;
}

runBackendConformance(
  "awskms (mock-kms through @aws-sdk/client-kms, key ARN)",
  async (alg) => {
    const { arn, keyId } = await createKmsKey(kms.client, alg);
    const key = kmsKey(alg, `awskms:key-id=${arn}`);
    keyIds.set(key.kid, keyId);
    return createBackend(key, ctx);
  },
  { hmacSecret: hmacSecretFromState },
);

describe("awskms backend against mock-kms", () => {
  test("is registered for awskms: and resolves an alias once, signing by the pinned key ARN", async () => {
    assert.ok(registeredSchemes().includes("awskms"));
    await createKmsKey(kms.client, "ed25519", "alias/pinned-ed");
    const uri = `awskms:key-id=${encodeURIComponent("alias/pinned-ed")};region=us-east-1;endpoint=${encodeURIComponent(kms.url)}`;
    const backend = await createBackend(kmsKey("ed25519", uri), {
      strict: false,
      dataDir: "/x",
      aws: { credentials: mockAwsConfig(kms.url).credentials! },
    });
    const digest = randomBytes(32);
    assert.equal(await backend.verify(digest, await backend.sign(digest)), true);
    await backend.close();
  });

  test("DescribeKey mismatches refuse start-up with a message naming both sides", async () => {
    const ec = await createKmsKey(kms.client, "ecdsa-sha256");
    await refuses(
      kmsKey("rsa-sha256", `awskms:key-id=${ec.arn}`),
      /alg is rsa-sha256 but the KMS key spec is ECC_NIST_P256 \(expected RSA_2048 or RSA_3072 or RSA_4096\)/,
    );
    await refuses(kmsKey("ed25519", `awskms:key-id=${ec.keyId}`), /expected ECC_NIST_EDWARDS25519/);
    const mac = await createKmsKey(kms.client, "hmac-sha256");
    await refuses(kmsKey("ecdsa-sha256", `awskms:key-id=${mac.arn}`), /KMS key spec is HMAC_256/);
  });

  test("a disabled key refuses start-up, and disabling it later fails /readyz and signing", async () => {
    const { keyId, arn } = await createKmsKey(kms.client, "ecdsa-sha256");
    await kms.client.send(new DisableKeyCommand({ KeyId: keyId }));
    await refuses(kmsKey("ecdsa-sha256", `awskms:key-id=${arn}`), /the KMS key is Disabled/);
    await kms.client.send(new EnableKeyCommand({ KeyId: keyId }));
    const backend = await createBackend(kmsKey("ecdsa-sha256", `awskms:key-id=${arn}`), ctx);
    await backend.healthCheck();
    await kms.client.send(new DisableKeyCommand({ KeyId: keyId }));
    await assert.rejects(backend.healthCheck(), (err: Error) => {
      assert.ok(err instanceof BackendUnavailableError);
      return /Disabled/.test(err.message);
    });
    await assert.rejects(backend.sign(randomBytes(32)), /KMS Sign failed \(disabled\)/);
    await backend.close();
  });

  test("an unknown key or alias refuses start-up", async () => {
    await refuses(
      kmsKey("ed25519", "awskms:key-id=alias/does-not-exist"),
      /no KMS key alias\/does-not-exist/,
    );
    await refuses(
      kmsKey("ed25519", "awskms:key-id=0123abcd-0000-4000-8000-00000000abcd"),
      /no KMS key 0123abcd-0000-4000-8000-00000000abcd/,
    );
  });

  test("strict mode refuses a plain-http endpoint such as mock-kms", async () => {
    const { arn } = await createKmsKey(kms.client, "ed25519");
    await refuses(kmsKey("ed25519", `awskms:key-id=${arn}`), /refuses a plain-http KMS endpoint/, {
      ...ctx,
      strict: true,
    });
  });

  test("without any region the key is refused with the fix", async () => {
    const noRegion = { strict: false, dataDir: "/x" };
    await refuses(
      kmsKey("ed25519", "awskms:key-id=alias/x"),
      /no AWS region: add ;region= .* or set AWS_REGION/,
      noRegion,
    );
  });

  test("KMS unreachable at start-up is BackendUnavailableError, quickly", async () => {
    const down = { ...ctx, aws: mockAwsConfig("http://127.0.0.1:1") };
    const started = performance.now();
    await assert.rejects(createBackend(kmsKey("ed25519", "awskms:key-id=alias/x"), down), (err: Error) => {
      assert.ok(err instanceof BackendUnavailableError, String(err));
      return /DescribeKey failed at start-up \(unreachable\)/.test(err.message);
    });
    assert.ok(performance.now() - started < 4000);
  });

  test("no error message carries the secret access key", async () => {
    const down = { ...ctx, aws: mockAwsConfig("http://127.0.0.1:1") };
    const err = await createBackend(kmsKey("ed25519", "awskms:key-id=alias/x"), down).catch((e: Error) => e);
    const text = `${String(err)} ${String((err as Error).cause)} ${JSON.stringify(err)}`;
    assert.ok(!text.includes("mockKmsDummySecret"), text);
  });
});

describe("awskms: URI parsing", () => {
  const parse = (uri: string) => parseAwsKmsUri(uri, "k");
  const bad = (uri: string, pattern: RegExp) =>
    assert.throws(
      () => parse(uri),
      (err: Error) => err instanceof BackendConfigError && pattern.test(err.message),
    );

  test("key IDs, ARNs, aliases; percent-decoding; region and endpoint", () => {
    const arn = "arn:aws:kms:eu-west-1:111122223333:key/0123abcd-0000-4000-8000-00000000abcd";
    assert.deepEqual(parse(`awskms:key-id=${arn}`), { keyId: arn });
    assert.deepEqual(parse(`awskms:key-id=${encodeURIComponent(arn)};region=eu-west-1`), {
      keyId: arn,
      region: "eu-west-1",
    });
    assert.deepEqual(parse("awskms:key-id=alias%2Faudit;endpoint=http%3A%2F%2F127.0.0.1%3A4599"), {
      keyId: "alias/audit",
      endpoint: "http://127.0.0.1:4599",
    });
    assert.deepEqual(parse("awskms:key-id=mrk-0123456789abcdef0123456789abcdef"), {
      keyId: "mrk-0123456789abcdef0123456789abcdef",
    });
    assert.equal(
      parse("awskms:key-id=arn:aws:kms:us-east-1:111122223333:alias/a/b_c-d").keyId.endsWith("alias/a/b_c-d"),
      true,
    );
  });

  test("precise refusals", () => {
    bad("awskms:", /this one is empty/);
    bad("awskms:region=eu-west-1", /has no key-id=/);
    bad("awskms:key-id=alias/a;colour=blue", /unknown awskms: URI parameter "colour"/);
    bad("awskms:key-id=alias/a;key-id=alias/b", /repeats key-id=/);
    bad("awskms:key-id=alias/a;;region=x", /parameter 2 of the awskms: URI is not name=value/);
    bad("awskms:key-id=", /key-id= in the awskms: URI is empty/);
    bad("awskms:key-id=%E0%A4%A", /not valid percent-encoding/);
    bad("awskms:key-id=not a key", /must be a KMS key ID, key ARN, alias name/);
    bad("awskms:key-id=alias/a;region=EU_WEST", /region= must be a region name/);
    bad(
      "awskms:key-id=arn:aws:kms:eu-west-1:111122223333:alias/a;region=us-east-1",
      /region=us-east-1 differs from the region of the key ARN \(eu-west-1\)/,
    );
    bad("awskms:key-id=alias/a;endpoint=ftp%3A%2F%2Fx", /endpoint= must be an http/);
  });

  test("an endpoint with credentials is refused without echoing them", () => {
    assert.throws(
      () => parse(`awskms:key-id=alias/a;endpoint=${encodeURIComponent("https://user:hunter2@kms.example")}`),
      (err: Error) => /must not carry credentials/.test(err.message) && !err.message.includes("hunter2"),
    );
  });
});
