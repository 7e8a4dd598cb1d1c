import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configError, HMAC_SECRET, load, loadWithFile, privatePem } from "./helpers.js";

const ALL_ALGS = "ed25519, ecdsa-sha256, rsa-sha256, hmac-sha256";

describe("AUDIT_SIGNING_KMS_KEY_ID", () => {
  it("defines kid default as an awskms: URI with percent-encoded values", () => {
    const config = load({
      AUDIT_SIGNING_KMS_KEY_ID: "arn:aws:kms:eu-west-1:111122223333:key/abc;x=y",
      AWS_REGION: "eu-west-1",
      KMS_ENDPOINT: "http://127.0.0.1:4599",
    });
    const key = config.keys[0];
    assert.equal(config.keys.length, 1);
    assert.equal(key?.kid, "default");
    assert.equal(
      key?.uri,
      "awskms:key-id=arn%3Aaws%3Akms%3Aeu-west-1%3A111122223333%3Akey%2Fabc%3Bx%3Dy;region=eu-west-1;endpoint=http%3A%2F%2F127.0.0.1%3A4599",
    );
    assert.equal(key?.alg, "hmac-sha256");
    assert.equal(key?.status, "active");
    assert.equal(key?.secret, undefined);
    assert.equal(key?.dev, false);
    assert.equal(key?.emergency, false);
    assert.equal(key?.source, "AUDIT_SIGNING_KMS_KEY_ID");
    assert.equal(config.defaultKid, "default");
    assert.equal(config.auditKid, "default");
  });

  it("omits region and endpoint when unset and honours AUDIT_SIGNING_ALG", () => {
    const config = load({ AUDIT_SIGNING_KMS_KEY_ID: "alias/audit", AUDIT_SIGNING_ALG: "ecdsa-sha256" });
    assert.equal(config.keys[0]?.uri, "awskms:key-id=alias%2Faudit");
    assert.equal(config.keys[0]?.alg, "ecdsa-sha256");
  });
});

describe("AUDIT_SIGNING_PRIVATE_KEY", () => {
  for (const [type, alg] of [
    ["ed25519", "ed25519"],
    ["p256", "ecdsa-sha256"],
    ["rsa2048", "rsa-sha256"],
  ] as const) {
    it(`infers ${alg} from a ${type} PEM and marks the key emergency`, () => {
      const pem = privatePem(type);
      const key = load({ AUDIT_SIGNING_PRIVATE_KEY: pem }).keys[0];
      assert.equal(key?.alg, alg);
      assert.equal(key?.uri, "softkey:inline");
      assert.equal(key?.emergency, true);
      assert.equal(key?.dev, false);
      assert.equal(key?.secret?.revealText(), pem);
    });
  }

  it("accepts a PEM with literal \\n escapes and a file: reference", () => {
    const pem = privatePem("ed25519");
    assert.equal(
      load({ AUDIT_SIGNING_PRIVATE_KEY: pem.replaceAll("\n", "\\n") }).keys[0]?.secret?.revealText(),
      pem,
    );
    const fromFile = load({ AUDIT_SIGNING_PRIVATE_KEY: "file:/run/key.pem" }, { "/run/key.pem": pem });
    assert.equal(fromFile.keys[0]?.alg, "ed25519");
  });

  it("ignores the hmac-sha256 default but refuses a different asymmetric AUDIT_SIGNING_ALG", () => {
    const pem = privatePem("ed25519");
    assert.equal(
      load({ AUDIT_SIGNING_PRIVATE_KEY: pem, AUDIT_SIGNING_ALG: "hmac-sha256" }).keys[0]?.alg,
      "ed25519",
    );
    assert.equal(
      load({ AUDIT_SIGNING_PRIVATE_KEY: pem, AUDIT_SIGNING_ALG: "ed25519" }).keys[0]?.alg,
      "ed25519",
    );
    const err = configError(() => load({ AUDIT_SIGNING_PRIVATE_KEY: pem, AUDIT_SIGNING_ALG: "rsa-sha256" }));
    assert.equal(
      err.message,
      "AUDIT_SIGNING_PRIVATE_KEY: the key is ed25519 but AUDIT_SIGNING_ALG is rsa-sha256",
    );
  });

  it("refuses garbage, P-384 and RSA below 2048 bits without printing the key", () => {
    const garbage = configError(() => load({ AUDIT_SIGNING_PRIVATE_KEY: "not-a-pem-secret" }));
    assert.match(garbage.message, /^AUDIT_SIGNING_PRIVATE_KEY: not a readable PEM private key/);
    assert.ok(!garbage.message.includes("not-a-pem-secret"));
    assert.match(configError(() => load({ AUDIT_SIGNING_PRIVATE_KEY: privatePem("p384") })).message, /P-256/);
    assert.match(
      configError(() => load({ AUDIT_SIGNING_PRIVATE_KEY: privatePem("rsa1024") })).message,
      /2048/,
    );
  });
});

describe("AUDIT_SIGNING_KEY / AUDIT_SIGNING_SECRET", () => {
  it("defines an inline hmac-sha256 key", () => {
    const key = load({ AUDIT_SIGNING_KEY: HMAC_SECRET }).keys[0];
    assert.equal(key?.alg, "hmac-sha256");
    assert.equal(key?.uri, "softkey:inline");
    assert.equal(key?.secret?.revealText(), HMAC_SECRET);
    assert.equal(key?.source, "AUDIT_SIGNING_KEY");
  });

  it("AUDIT_SIGNING_SECRET is an alias; both set to the same secret is fine", () => {
    assert.equal(load({ AUDIT_SIGNING_SECRET: HMAC_SECRET }).keys[0]?.source, "AUDIT_SIGNING_SECRET");
    assert.equal(load({ AUDIT_SIGNING_SECRET: HMAC_SECRET, AUDIT_SIGNING_KEY: HMAC_SECRET }).keys.length, 1);
  });

  it("refuses the aliases set to different secrets, naming both", () => {
    const err = configError(() =>
      load({ AUDIT_SIGNING_KEY: HMAC_SECRET, AUDIT_SIGNING_SECRET: `${HMAC_SECRET}-2` }),
    );
    assert.match(err.message, /^AUDIT_SIGNING_KEY, AUDIT_SIGNING_SECRET: both are set to different secrets/);
    assert.ok(!err.message.includes(HMAC_SECRET));
  });

  it("refuses a short secret and an asymmetric AUDIT_SIGNING_ALG", () => {
    assert.match(configError(() => load({ AUDIT_SIGNING_KEY: "short" })).message, /at least 32 bytes/);
    const err = configError(() => load({ AUDIT_SIGNING_KEY: HMAC_SECRET, AUDIT_SIGNING_ALG: "ed25519" }));
    assert.equal(err.field, "AUDIT_SIGNING_ALG");
  });
});

describe("MOCK_AUDIT_SIGNING_KEY", () => {
  it("a raw secret becomes a dev hmac-sha256 key", () => {
    const key = load({ MOCK_AUDIT_SIGNING_KEY: HMAC_SECRET }).keys[0];
    assert.equal(key?.alg, "hmac-sha256");
    assert.equal(key?.dev, true);
    assert.equal(key?.emergency, false);
  });

  it("a PEM becomes a dev key of the PEM's algorithm", () => {
    const key = load({ MOCK_AUDIT_SIGNING_KEY: privatePem("p256") }).keys[0];
    assert.equal(key?.alg, "ecdsa-sha256");
    assert.equal(key?.dev, true);
  });
});

describe("shortcut ambiguity", () => {
  it("refuses two sources, naming both", () => {
    const err = configError(() =>
      load({ AUDIT_SIGNING_KMS_KEY_ID: "alias/a", AUDIT_SIGNING_PRIVATE_KEY: privatePem("ed25519") }),
    );
    assert.match(
      err.message,
      /^AUDIT_SIGNING_KMS_KEY_ID, AUDIT_SIGNING_PRIVATE_KEY: only one signing-key shortcut/,
    );
  });

  it("names the alias actually set and every source when all are set", () => {
    const two = configError(() =>
      load({ AUDIT_SIGNING_SECRET: HMAC_SECRET, MOCK_AUDIT_SIGNING_KEY: HMAC_SECRET }),
    );
    assert.equal(two.field, "AUDIT_SIGNING_SECRET, MOCK_AUDIT_SIGNING_KEY");
    const all = configError(() =>
      load({
        AUDIT_SIGNING_KMS_KEY_ID: "alias/a",
        AUDIT_SIGNING_PRIVATE_KEY: "x",
        AUDIT_SIGNING_KEY: HMAC_SECRET,
        MOCK_AUDIT_SIGNING_KEY: HMAC_SECRET,
      }),
    );
    assert.equal(
      all.field,
      "AUDIT_SIGNING_KMS_KEY_ID, AUDIT_SIGNING_PRIVATE_KEY, AUDIT_SIGNING_KEY, MOCK_AUDIT_SIGNING_KEY",
    );
  });

  it("reports ambiguity before reading any referenced file", () => {
    const err = configError(() =>
      load({ AUDIT_SIGNING_KMS_KEY_ID: "alias/a", AUDIT_SIGNING_KEY: "file:/missing" }),
    );
    assert.equal(err.field, "AUDIT_SIGNING_KMS_KEY_ID, AUDIT_SIGNING_KEY");
  });

  it("refuses an invalid AUDIT_SIGNING_ALG", () => {
    const err = configError(() => load({ AUDIT_SIGNING_KMS_KEY_ID: "alias/a", AUDIT_SIGNING_ALG: "HS256" }));
    assert.equal(err.message, `AUDIT_SIGNING_ALG: expected one of ${ALL_ALGS}`);
  });
});

describe("shortcuts with a config file", () => {
  const fileKey = { kid: "file-key", uri: "awskms:key-id=k1", alg: "ed25519" };

  it("the shortcut key joins the file's keys and becomes the default unless the file names one", () => {
    const config = loadWithFile({ keys: [fileKey] }, { AUDIT_SIGNING_KMS_KEY_ID: "alias/a" });
    assert.deepEqual(
      config.keys.map((k) => k.kid),
      ["default", "file-key"],
    );
    assert.equal(config.defaultKid, "default");
    const named = loadWithFile(
      { keys: [fileKey], defaultKid: "file-key" },
      { AUDIT_SIGNING_KMS_KEY_ID: "alias/a" },
    );
    assert.equal(named.defaultKid, "file-key");
    assert.equal(named.auditKid, "file-key");
  });

  it("refuses a shortcut when the file already has kid default", () => {
    const err = configError(() =>
      loadWithFile({ keys: [{ ...fileKey, kid: "default" }] }, { AUDIT_SIGNING_KMS_KEY_ID: "alias/a" }),
    );
    assert.match(
      err.message,
      /^AUDIT_SIGNING_KMS_KEY_ID: defines kid "default", but SIGNER_CONFIG keys\[0\] already has it/,
    );
  });

  it("defaultKid falls back to the only key, and is unset with several", () => {
    assert.equal(loadWithFile({ keys: [fileKey] }).defaultKid, "file-key");
    const two = loadWithFile({ keys: [fileKey, { ...fileKey, kid: "other" }] });
    assert.equal(two.defaultKid, undefined);
    assert.equal(two.auditKid, undefined);
  });
});
