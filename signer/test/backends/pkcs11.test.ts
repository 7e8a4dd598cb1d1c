import assert from "node:assert/strict";
import { createPublicKey, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodeDigestInfoSha256 } from "@signing-proxy/client-sdk";
import pkcs11js from "pkcs11js";
import { runSigner } from "../../../test/helpers/cli.js";
import {
  createSoftHsmToken,
  openRawSession,
  type RawSession,
  withSoftHsm,
} from "../../../test/helpers/softhsm.js";
import { ALG_NAMES, type Alg } from "../../src/algorithms.js";
import type { SigningBackend } from "../../src/backends/backend.js";
import { CK3 } from "../../src/backends/pkcs11/constants.js";
import { ecdsaRawToDer } from "../../src/backends/pkcs11/mechanisms.js";
import { createBackend } from "../../src/backends/registry.js";
import { runBackendConformance } from "./conformance.js";
import {
  cliGenerate,
  cliGenerateOk,
  DEV,
  type GeneratedKey,
  keyConfig,
  makeToolKeys,
  STRICT,
  TOOL_KEYS,
} from "./pkcs11-fixture.js";

withSoftHsm("pkcs11 backend on SoftHSM2", () => {
  const token = createSoftHsmToken("conformance");
  makeToolKeys(token);
  // Keys made by the operator CLI in a child process, before this process loads the module.
  const generated = Object.fromEntries(
    ALG_NAMES.map((alg) => [alg, cliGenerateOk(token, alg, `gen-${alg}`)]),
  ) as Record<Alg, GeneratedKey>;
  let raw: RawSession;
  before(() => {
    raw = openRawSession(token);
  });
  after(() => raw.close());

  runBackendConformance("pkcs11 (pkcs11-tool keys)", (alg) =>
    createBackend(keyConfig(alg, token.uri(TOOL_KEYS[alg].label)), STRICT),
  );
  runBackendConformance("pkcs11 (keys generate)", (alg) =>
    createBackend(keyConfig(alg, generated[alg].uri), STRICT),
  );

  describe("the same bytes as the token's own C_Sign", () => {
    const cases: readonly [Alg, number, number, (d: Buffer) => Buffer][] = [
      ["ed25519", CK3.CKM_EDDSA, 64, (d) => d],
      ["rsa-sha256", pkcs11js.CKM_RSA_PKCS, 256, encodeDigestInfoSha256],
      ["hmac-sha256", pkcs11js.CKM_SHA256_HMAC, 32, (d) => d],
    ];
    for (const [alg, mechanism, length, input] of cases) {
      test(`${alg}: backend.sign(digest) equals a raw C_Sign with ${mechanism.toString(16)}`, async () => {
        const backend = await createBackend(keyConfig(alg, token.uri(TOOL_KEYS[alg].label)), DEV);
        try {
          const cls = alg === "hmac-sha256" ? pkcs11js.CKO_SECRET_KEY : pkcs11js.CKO_PRIVATE_KEY;
          const key = raw.find(TOOL_KEYS[alg].label, cls);
          for (let i = 0; i < 4; i++) {
            const digest = randomBytes(32);
            assert.deepEqual(await backend.sign(digest), raw.sign(mechanism, key, input(digest), length));
          }
        } finally {
          await backend.close();
        }
      });
    }

    test("ecdsa-sha256: a raw CKM_ECDSA signature verifies with the backend's public key", async () => {
      const backend = await createBackend(
        keyConfig("ecdsa-sha256", token.uri(TOOL_KEYS["ecdsa-sha256"].label)),
        DEV,
      );
      try {
        const digest = randomBytes(32);
        const rs = raw.sign(pkcs11js.CKM_ECDSA, raw.find("tool-p256", pkcs11js.CKO_PRIVATE_KEY), digest, 64);
        assert.equal(await backend.verify(digest, ecdsaRawToDer(rs)), true);
      } finally {
        await backend.close();
      }
    });
  });

  describe("public keys read from the token", () => {
    test("P-256 and RSA match what pkcs11-tool exports; Ed25519 matches its CKA_EC_POINT", async () => {
      for (const alg of ["ecdsa-sha256", "rsa-sha256"] as const) {
        const file = join(token.dir, `${alg}.der`);
        token.tool(["--read-object", "--type", "pubkey", "--label", TOOL_KEYS[alg].label, "-o", file]);
        const expected = createPublicKey({ key: readFileSync(file), format: "der", type: "spki" });
        const backend = await createBackend(keyConfig(alg, token.uri(TOOL_KEYS[alg].label)), DEV);
        assert.ok((await backend.publicKey())?.equals(expected), alg);
        await backend.close();
      }
      // pkcs11-tool lists every public key; take the block labelled tool-ed25519.
      const listing = token.tool(["--list-objects", "--type", "pubkey"]);
      const block = listing.split("Public Key Object").find((b) => /label:\s+tool-ed25519\n/.test(b)) ?? "";
      const point = /EC_POINT:\s+0420([0-9a-f]{64})/.exec(block)?.[1];
      assert.ok(point, listing);
      const backend = await createBackend(keyConfig("ed25519", token.uri("tool-ed25519")), DEV);
      const jwk = (await backend.publicKey())?.export({ format: "jwk" });
      assert.equal(Buffer.from(jwk?.x ?? "", "base64url").toString("hex"), point);
      await backend.close();
    });

    test("keys generate prints the same public key the backend publishes", async () => {
      for (const alg of ["ed25519", "ecdsa-sha256", "rsa-sha256"] as const) {
        const backend = await createBackend(keyConfig(alg, generated[alg].uri), DEV);
        const pem = (await backend.publicKey())?.export({ type: "spki", format: "pem" });
        assert.equal(pem, generated[alg].publicKeyPem);
        await backend.close();
      }
      assert.equal(generated["hmac-sha256"].publicKeyPem, null);
    });

    test("the public KeyObject is read once and cached", async () => {
      const backend: SigningBackend = await createBackend(
        keyConfig("ed25519", token.uri("tool-ed25519")),
        DEV,
      );
      assert.equal(await backend.publicKey(), await backend.publicKey());
      await backend.close();
    });
  });

  describe("signer keys generate --backend pkcs11", () => {
    test("makes sensitive, never-extractable signing keys with an id", () => {
      for (const alg of ALG_NAMES) {
        const cls = alg === "hmac-sha256" ? pkcs11js.CKO_SECRET_KEY : pkcs11js.CKO_PRIVATE_KEY;
        const key = raw.find(`gen-${alg}`, cls);
        const attr = (type: number) => raw.api.C_GetAttributeValue(raw.session, key, [{ type }])[0]?.value;
        assert.equal(attr(pkcs11js.CKA_SENSITIVE)?.[0], 1, `${alg} sensitive`);
        assert.equal(attr(pkcs11js.CKA_EXTRACTABLE)?.[0], 0, `${alg} not extractable`);
        assert.equal(attr(pkcs11js.CKA_SIGN)?.[0], 1, `${alg} signs`);
        assert.equal(attr(pkcs11js.CKA_ID)?.toString("hex"), generated[alg].id);
        assert.match(generated[alg].uri, /;id=(%[0-9a-f]{2}){8}\?/);
      }
    });

    test("refuses a label that already exists, naming it", () => {
      const result = cliGenerate(token, "ed25519", "tool-ed25519");
      assert.equal(result.status, 1);
      assert.match(
        result.stderr,
        /already has an object with object "tool-ed25519"; refusing to add another/,
      );
    });

    test("refuses pin-value in strict mode and bad usage, never echoing the PIN", () => {
      const uri = `pkcs11:token=conformance;object=x?module-path=${token.modulePath}&pin-value=${token.pin}`;
      const args = ["keys", "generate", "--backend", "pkcs11", "--alg", "ed25519", "--uri", uri];
      const strict = runSigner(args, { ...token.env, NODE_ENV: "production" });
      assert.equal(strict.status, 1);
      assert.match(strict.stderr, /pin-value= is refused in strict mode/);
      assert.ok(!strict.stderr.includes(token.pin));
      const usage = runSigner(
        ["keys", "generate", "--backend", "pkcs11", "--alg", "ed448", "--uri", uri],
        token.env,
      );
      assert.equal(usage.status, 2);
    });

    test("a wrong PIN or a missing token is a one-line error, exit 1", () => {
      const wrongPin = `pkcs11:token=conformance;object=y?module-path=${token.modulePath}&pin-value=00000000`;
      const args = ["keys", "generate", "--backend", "pkcs11", "--alg", "ed25519", "--uri"];
      const wrong = runSigner([...args, wrongPin], token.env);
      assert.equal(wrong.status, 1);
      assert.equal(wrong.stderr, "signer keys generate: the token rejected the PIN (CKR_PIN_INCORRECT)\n");
      const missing = runSigner([...args, wrongPin.replace("token=conformance", "token=absent")], token.env);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /^signer keys generate: no initialized token matches token "absent"/);
    });
  });
});
