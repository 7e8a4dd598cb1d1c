import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/config.js";
import { isStrictEnv, pkcs11PinFromEnv } from "../../src/config/pkcs11-pin.js";
import { configError, loadWithFile } from "./helpers.js";

const MODULE = "module-path=/usr/lib/softhsm/libsofthsm2.so";
const uri = (query: string) => `pkcs11:token=signer;object=audit?${MODULE}&${query}`;

describe("pkcs11 pin-source=env: (resolved by config, the only reader of the environment)", () => {
  it("puts the variable's value on the key as its secret", () => {
    const config = loadWithFile(
      { keys: [{ kid: "hsm", uri: uri("pin-source=env:HSM_PIN"), alg: "ed25519" }] },
      { HSM_PIN: "123456" },
    );
    assert.equal(config.keys[0]?.secret?.revealText(), "123456");
    assert.ok(!JSON.stringify(config).includes("123456"), "the PIN never serializes");
  });

  it("accepts a percent-encoded colon and leaves file: and pin-value= to the backend", () => {
    assert.equal(pkcs11PinFromEnv(uri("pin-source=env%3AHSM_PIN"), "f", { HSM_PIN: "1" })?.revealText(), "1");
    assert.equal(pkcs11PinFromEnv(uri("pin-source=file:/run/pin"), "f", { HSM_PIN: "1" }), undefined);
    assert.equal(pkcs11PinFromEnv(uri("pin-value=1234"), "f", {}), undefined);
    assert.equal(pkcs11PinFromEnv("softkey:env=HSM_PIN", "f", { HSM_PIN: "1" }), undefined);
  });

  it("refuses an unset variable or a bad name, naming the field and never a PIN", () => {
    const message = configError(() =>
      loadWithFile({ keys: [{ kid: "hsm", uri: uri("pin-source=env:HSM_PIN"), alg: "ed25519" }] }),
    ).message;
    assert.match(
      message,
      /^SIGNER_CONFIG keys\[0\]\.uri: pin-source=env:HSM_PIN: variable HSM_PIN is not set$/,
    );
    assert.throws(() => pkcs11PinFromEnv(uri("pin-source=env:1BAD"), "f", {}), ConfigError);
    assert.throws(
      () => pkcs11PinFromEnv(uri("pin-source=env:"), "f", {}),
      /needs an environment variable name/,
    );
  });
});

describe("isStrictEnv", () => {
  it("follows NODE_ENV=production (any case) and REQUIRE_KMS", () => {
    assert.equal(isStrictEnv({}), false);
    assert.equal(isStrictEnv({ NODE_ENV: "Production" }), true);
    assert.equal(isStrictEnv({ REQUIRE_KMS: "1" }), true);
    assert.equal(isStrictEnv({ NODE_ENV: "development", REQUIRE_KMS: "false" }), false);
    assert.throws(() => isStrictEnv({ REQUIRE_KMS: "yes" }), ConfigError);
  });
});
