import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pkcs11js from "pkcs11js";
import {
  createSoftHsmToken,
  openRawSession,
  type RawSession,
  withSoftHsm,
} from "../../../test/helpers/softhsm.js";
import {
  BackendConfigError,
  type BackendContext,
  BackendUnavailableError,
} from "../../src/backends/backend.js";
import { createBackend } from "../../src/backends/registry.js";
import { Secret } from "../../src/config/secret.js";
import type { KeyConfig } from "../../src/config/types.js";
import { runBackendConformance } from "./conformance.js";
import { DEV, keyConfig, makeToolKeys, STRICT, TOOL_KEYS, writeSecretFile } from "./pkcs11-fixture.js";

withSoftHsm("pkcs11 refusals on SoftHSM2", () => {
  const token = createSoftHsmToken("refusals", "11112222");
  // A second token nobody logs in to first, so a wrong PIN reaches C_Login.
  const lonely = createSoftHsmToken("lonely", "33334444");
  makeToolKeys(token);
  for (const label of ["doomed", "swapped"])
    token.toolKey("ed25519", label, label === "doomed" ? "a1" : "a2");
  lonely.toolKey("ed25519", "lonely-ed", "01");
  const pins = [token.pin, lonely.pin, "99998888"];
  const messages: string[] = [];
  let raw: RawSession;
  before(() => {
    raw = openRawSession(token);
  });
  after(() => raw.close());

  /** Expect a BackendConfigError for `key` matching `pattern`; keep its message for the PIN check. */
  async function refuses(key: KeyConfig, ctx: BackendContext, pattern: RegExp): Promise<void> {
    await assert.rejects(createBackend(key, ctx), (err: unknown) => {
      assert.ok(err instanceof BackendConfigError, String(err));
      assert.match(err.message, new RegExp(`^key ${key.kid}: `));
      assert.match(err.message, pattern);
      messages.push(err.message);
      return true;
    });
  }
  const edUri = (query = "") => token.uri(TOOL_KEYS.ed25519.label, query);
  const mod = `module-path=${token.modulePath}`;

  describe("start-up refusals (BackendConfigError)", () => {
    test("a wrong PIN", async () => {
      const pinFile = writeSecretFile(lonely, "wrong.pin", "99998888\n");
      const uri = `pkcs11:token=lonely;object=lonely-ed?${mod}&pin-source=file:${pinFile}`;
      await refuses(keyConfig("ed25519", uri), DEV, /the token rejected the PIN \(CKR_PIN_INCORRECT\)/);
    });

    test("a missing token, naming the tokens that are there", async () => {
      const uri = `pkcs11:token=nope;object=x?${mod}&pin-source=file:${token.pinFile}`;
      await refuses(
        keyConfig("ed25519", uri),
        DEV,
        /no initialized token matches token "nope" \(tokens present: .*"refusals"/,
      );
      const bySlot = `pkcs11:slot-id=999999;object=x?${mod}&pin-source=file:${token.pinFile}`;
      await refuses(keyConfig("ed25519", bySlot), DEV, /no initialized token matches slot 999999/);
    });

    test("a missing module, and a file that is not a PKCS#11 module", async () => {
      const missing = `pkcs11:token=refusals;object=x?module-path=/nonexistent/libnope.so&pin-source=file:${token.pinFile}`;
      await refuses(
        keyConfig("ed25519", missing),
        DEV,
        /cannot load the PKCS#11 module \/nonexistent\/libnope\.so: .*No such file/,
      );
      const notModule = `pkcs11:token=refusals;object=x?module-path=/etc/passwd&pin-source=file:${token.pinFile}`;
      await refuses(keyConfig("ed25519", notModule), DEV, /cannot load the PKCS#11 module \/etc\/passwd/);
    });

    test("a key that is not on the token", async () => {
      await refuses(
        keyConfig("ed25519", token.uri("never-made")),
        DEV,
        /no private key with object "never-made" on the token/,
      );
      await refuses(
        keyConfig("hmac-sha256", token.uri("never-made")),
        DEV,
        /no secret key with object "never-made"/,
      );
    });

    test("a key that cannot make the configured alg's signatures", async () => {
      await refuses(keyConfig("ecdsa-sha256", edUri()), DEV, /cannot make ecdsa-sha256 signatures/);
      await refuses(
        keyConfig("rsa-sha256", token.uri(TOOL_KEYS["ecdsa-sha256"].label)),
        DEV,
        /cannot make rsa-sha256/,
      );
      await refuses(
        keyConfig("ed25519", `${edUri()}`.replace(";object=", ";type=secret-key;object=")),
        DEV,
        /does not fit/,
      );
    });

    test("PIN sources: pin-value in strict mode, env: unresolved, none, unreadable file", async () => {
      const withValue = `pkcs11:token=refusals;object=tool-ed25519?${mod}&pin-value=${token.pin}`;
      await refuses(keyConfig("ed25519", withValue), STRICT, /pin-value= is refused in strict mode/);
      const envUri = `pkcs11:token=refusals;object=tool-ed25519?${mod}&pin-source=env:HSM_PIN`;
      await refuses(keyConfig("ed25519", envUri), DEV, /pin-source=env:HSM_PIN was not resolved by config/);
      await refuses(
        keyConfig("ed25519", `pkcs11:token=refusals;object=tool-ed25519?${mod}`),
        DEV,
        /gives no PIN/,
      );
      const missingFile = `pkcs11:token=refusals;object=tool-ed25519?${mod}&pin-source=file:/nonexistent/pin`;
      await refuses(
        keyConfig("ed25519", missingFile),
        DEV,
        /cannot read the PIN file \/nonexistent\/pin \(ENOENT\)/,
      );
    });

    test("outside strict mode pin-value works; pin-source=env: uses the secret config resolved", async () => {
      const withValue = `pkcs11:token=refusals;object=tool-ed25519?${mod}&pin-value=${token.pin}`;
      const a = await createBackend(keyConfig("ed25519", withValue), DEV);
      await a.healthCheck();
      const envUri = `pkcs11:token=refusals;object=tool-ed25519?${mod}&pin-source=env:HSM_PIN`;
      const b = await createBackend(keyConfig("ed25519", envUri, { secret: new Secret(token.pin) }), DEV);
      await b.healthCheck();
      // The token's login is shared, so a key with another PIN must not ride on it.
      await refuses(
        keyConfig("ed25519", envUri, { secret: new Secret("99998888") }),
        DEV,
        /another key on this token is configured with a different PIN/,
      );
      await Promise.all([a.close(), b.close()]);
    });

    test("an extractable key in strict mode (it could leave the HSM)", async () => {
      raw.api.C_GenerateKey(raw.session, { mechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_LABEL, value: "extractable-hmac" },
      ]);
      await refuses(
        keyConfig("hmac-sha256", token.uri("extractable-hmac")),
        STRICT,
        /the key is extractable/,
      );
      const dev = await createBackend(keyConfig("hmac-sha256", token.uri("extractable-hmac")), DEV);
      await dev.healthCheck();
      await dev.close();
    });

    test("no message contains a PIN", () => {
      assert.ok(messages.length >= 12, `${messages.length} messages checked`);
      for (const message of messages) for (const pin of pins) assert.ok(!message.includes(pin), message);
    });
  });

  describe("request-time refusals (BackendUnavailableError, then 503)", () => {
    test("a key deleted from the token after start-up", async () => {
      const backend = await createBackend(keyConfig("ed25519", token.uri("doomed")), DEV);
      await backend.sign(randomBytes(32));
      token.tool(["--delete-object", "--type", "privkey", "--label", "doomed"]);
      await assert.rejects(backend.sign(randomBytes(32)), (err: unknown) => {
        assert.ok(err instanceof BackendUnavailableError, String(err));
        assert.match(err.message, /no private key with object "doomed" on the token/);
        return true;
      });
      await assert.rejects(backend.healthCheck(), BackendUnavailableError);
      await backend.close();
    });

    test("a key replaced by another under the same label is refused, not used", async () => {
      const backend = await createBackend(keyConfig("ed25519", token.uri("swapped")), DEV);
      await backend.sign(randomBytes(32));
      token.tool(["--delete-object", "--type", "privkey", "--label", "swapped"]);
      token.toolKey("ed25519", "swapped", "a3");
      await assert.rejects(backend.sign(randomBytes(32)), /not the key this backend started with/);
      await backend.close();
    });

    test("after close() it neither signs nor answers health checks", async () => {
      const backend = await createBackend(keyConfig("ed25519", edUri()), DEV);
      await backend.close();
      await assert.rejects(backend.sign(randomBytes(32)), BackendUnavailableError);
      await assert.rejects(backend.healthCheck(), BackendUnavailableError);
    });
  });

  // A secret imported with a known value, so the openssl CLI can check the token's MACs as well.
  const importedSecret = randomBytes(32);
  runBackendConformance(
    "pkcs11 (imported HMAC secret)",
    async (alg) => {
      raw.api.C_CreateObject(raw.session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_LABEL, value: "imported-hmac" },
        { type: pkcs11js.CKA_VALUE, value: importedSecret },
      ]);
      return createBackend(keyConfig(alg, token.uri("imported-hmac")), STRICT);
    },
    { algs: ["hmac-sha256"], hmacSecret: () => importedSecret },
  );
});
