import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LoadConfigOptions } from "../../src/config/config.js";
import { configError, HMAC_SECRET, load, loadWithFile, privatePem, tempDir, tlsEnv } from "./helpers.js";

const PROD = { NODE_ENV: "production" };
const KMS = { AUDIT_SIGNING_KMS_KEY_ID: "alias/audit", AWS_REGION: "eu-west-1" };
/** Strict mode checks TLS files on disk, so tests that need them use the real check. */
const disk: LoadConfigOptions = {};

function strictError(env: Record<string, string>, file?: unknown): string {
  const err = configError(() =>
    file === undefined ? load(env, {}, disk) : loadWithFile(file, env, {}, disk),
  );
  assert.equal(err.code, "ERR_CONFIG_STRICT");
  assert.ok(!err.message.includes("\n"), "the message is one line");
  return err.message;
}

describe("strict mode refuses", () => {
  it("to start without a non-mock signer, in one line naming every way to add one", () => {
    const message = strictError({ ...PROD, ...tlsEnv() });
    assert.match(message, /^strict mode \(NODE_ENV=production\): refuses to start: /);
    assert.ok(message.includes("AUDIT_SIGNING_KMS_KEY_ID"), message);
    assert.ok(message.includes("a pkcs11: key in SIGNER_CONFIG"), message);
    assert.ok(message.includes("AUDIT_SIGNING_PRIVATE_KEY (emergency only)"), message);
  });

  it("with REQUIRE_KMS=true (and 1) as with NODE_ENV=production", () => {
    assert.match(
      strictError({ REQUIRE_KMS: "true", ...tlsEnv() }),
      /^strict mode \(REQUIRE_KMS=true\): .*AUDIT_SIGNING_KMS_KEY_ID/,
    );
    assert.match(strictError({ REQUIRE_KMS: "1" }), /AUDIT_SIGNING_KMS_KEY_ID/);
    assert.match(strictError({ NODE_ENV: "Production" }), /^strict mode \(NODE_ENV=Production\)/);
  });

  it("softkey: file keys alone are not a signer", () => {
    const file = { keys: [{ kid: "s", uri: "softkey:file=/k.pem", alg: "ed25519" }] };
    assert.match(strictError({ ...PROD, ...tlsEnv() }, file), /no non-mock signer is configured/);
  });

  it("MOCK_AUDIT_SIGNING_KEY", () => {
    const message = strictError({ ...PROD, ...tlsEnv(), MOCK_AUDIT_SIGNING_KEY: HMAC_SECRET });
    assert.ok(message.includes("MOCK_AUDIT_SIGNING_KEY is a mock/dev key; remove it"), message);
    assert.ok(message.includes("AUDIT_SIGNING_KMS_KEY_ID"), message);
  });

  it("a config key marked dev, even next to a real signer", () => {
    const file = { keys: [{ kid: "d", uri: "softkey:file=/d.pem", alg: "ed25519", dev: true }] };
    const message = strictError({ ...PROD, ...KMS, ...tlsEnv() }, file);
    assert.ok(message.includes("SIGNER_CONFIG keys[0] (kid d) is a mock/dev key"), message);
  });

  it("unset TLS files, naming each", () => {
    const message = strictError({ ...PROD, ...KMS });
    for (const name of [
      "TLS_CERT_FILE is not set",
      "TLS_KEY_FILE is not set",
      "TLS_CLIENT_CA_FILE is not set",
    ]) {
      assert.ok(message.includes(name), message);
    }
  });

  it("TLS files that do not exist, naming only those", () => {
    const env = { ...tlsEnv(), TLS_KEY_FILE: join(tempDir(), "missing.key") };
    const message = strictError({ ...PROD, ...KMS, ...env });
    assert.ok(message.includes(`TLS_KEY_FILE (${env.TLS_KEY_FILE}) is not a readable file`), message);
    assert.ok(!message.includes("TLS_CERT_FILE"), message);
    assert.ok(!message.includes("TLS_CLIENT_CA_FILE"), message);
  });

  it("a directory or unreadable CRL in place of a file", () => {
    const dir = tempDir();
    const message = strictError({
      ...PROD,
      ...KMS,
      ...tlsEnv(),
      TLS_CLIENT_CA_FILE: dir,
      TLS_CRL_FILE: "/no/crl.pem",
    });
    assert.ok(message.includes("TLS_CLIENT_CA_FILE"), message);
    assert.ok(message.includes("TLS_CRL_FILE (/no/crl.pem)"), message);
  });

  it("pin-value= in a pkcs11 URI, without printing the PIN", () => {
    const file = {
      keys: [{ kid: "h", uri: "pkcs11:token=t;object=o?module-path=/m.so&pin-value=24680", alg: "ed25519" }],
    };
    const message = strictError({ ...PROD, ...tlsEnv() }, file);
    assert.ok(message.includes("SIGNER_CONFIG keys[0] (kid h) has pin-value="), message);
    assert.ok(!message.includes("24680"), message);
  });

  it("several signers and no defaultKid or auditKid: nothing could seal the audit log", () => {
    const file = {
      keys: [
        { kid: "a", uri: "awskms:key-id=a", alg: "ed25519" },
        { kid: "b", uri: "awskms:key-id=b", alg: "ed25519" },
      ],
    };
    assert.match(strictError({ ...PROD, ...tlsEnv() }, file), /no audit key: set auditKid or defaultKid/);
  });
});

describe("strict mode accepts", () => {
  it("the KMS shortcut with TLS files present", () => {
    const tls = tlsEnv();
    const config = load({ ...PROD, ...KMS, ...tls }, {}, disk);
    assert.equal(config.strict, true);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.managementHost, "0.0.0.0");
    assert.deepEqual(config.tls, {
      certFile: tls.TLS_CERT_FILE,
      keyFile: tls.TLS_KEY_FILE,
      clientCaFile: tls.TLS_CLIENT_CA_FILE,
    });
    assert.deepEqual(config.warnings, []);
  });

  it("a pkcs11: key with pin-source, warning about softkeys next to it", () => {
    const file = {
      keys: [
        {
          kid: "h",
          uri: "pkcs11:token=t;object=o?module-path=/m.so&pin-source=file:/run/pin",
          alg: "ed25519",
        },
        { kid: "s", uri: "softkey:file=/k.pem", alg: "ed25519" },
      ],
      defaultKid: "h",
    };
    const config = loadWithFile(file, { REQUIRE_KMS: "true", ...tlsEnv() }, {}, disk);
    assert.equal(config.auditKid, "h");
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0] ?? "", /SIGNER_CONFIG keys\[1\] \(kid s\) is a softkey/);
  });

  it("the emergency key, with a warning", () => {
    const config = load({ ...PROD, ...tlsEnv(), AUDIT_SIGNING_PRIVATE_KEY: privatePem("ed25519") }, {}, disk);
    assert.equal(config.keys[0]?.emergency, true);
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0] ?? "", /^AUDIT_SIGNING_PRIVATE_KEY is an emergency key/);
  });
});

describe("TLS outside strict mode", () => {
  it("all unset gives tls: null; all set is taken as given (made absolute), even before the files exist", () => {
    assert.equal(load({}).tls, null);
    const config = load({
      TLS_CERT_FILE: "c.crt",
      TLS_KEY_FILE: "/k.key",
      TLS_CLIENT_CA_FILE: "ca.crt",
      TLS_CRL_FILE: "x.crl",
    });
    assert.deepEqual(config.tls, {
      certFile: "/srv/signer/c.crt",
      keyFile: "/k.key",
      clientCaFile: "/srv/signer/ca.crt",
      crlFile: "/srv/signer/x.crl",
    });
  });

  it("a partial set is refused, naming what is missing", () => {
    const err = configError(() => load({ TLS_CERT_FILE: "/c.crt" }));
    assert.match(err.message, /^TLS_KEY_FILE, TLS_CLIENT_CA_FILE: not set, but TLS_CERT_FILE is/);
    const crlOnly = configError(() => load({ TLS_CRL_FILE: "/x.crl" }));
    assert.match(
      crlOnly.message,
      /^TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE: not set, but TLS_CRL_FILE is/,
    );
  });

  it("mock keys and softkeys are fine and produce no warnings", () => {
    const config = load({ MOCK_AUDIT_SIGNING_KEY: HMAC_SECRET });
    assert.equal(config.strict, false);
    assert.deepEqual(config.warnings, []);
  });
});
