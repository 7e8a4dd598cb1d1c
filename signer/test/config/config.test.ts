import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { Secret } from "../../src/config/secret.js";
import { CWD, configError, HMAC_SECRET, load, loadWithFile, privatePem } from "./helpers.js";

describe("loadConfig defaults", () => {
  it("fills every default from an empty environment", () => {
    const config = load({});
    assert.equal(config.strict, false);
    assert.equal(config.nodeEnv, "development");
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 8081);
    assert.equal(config.managementHost, "127.0.0.1");
    assert.equal(config.managementPort, 9090);
    assert.equal(config.tls, null);
    assert.equal(config.dataDir, `${CWD}/var`);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.apiKey, undefined);
    assert.deepEqual(config.keys, []);
    assert.equal(config.defaultKid, undefined);
    assert.equal(config.auditKid, undefined);
    assert.deepEqual(config.principals, []);
    assert.deepEqual(config.multisig, { policies: [] });
    assert.deepEqual(config.aws, {});
    assert.equal(config.logLevel, "info");
    assert.equal(config.signerId, "test-host");
    assert.deepEqual(config.limits, {
      bodyLimitBytes: 1024 * 1024,
      batchMaxItems: 1024,
      canonicalMaxBytes: 256 * 1024,
      canonicalMaxDepth: 32,
    });
    assert.deepEqual(config.warnings, []);
  });

  it("defaults SIGNER_ID to the host name and resolves SIGNER_DATA_DIR against the process cwd", () => {
    const config = loadConfig({});
    assert.equal(config.signerId, hostname());
    assert.equal(config.dataDir, `${process.cwd()}/var`);
  });

  it("reads every listener and limit variable", () => {
    const config = load({
      HOST: "::",
      PORT: "0",
      MANAGEMENT_HOST: "localhost",
      MANAGEMENT_PORT: "0",
      SIGNER_DATA_DIR: "/data/signer",
      LOG_LEVEL: "DEBUG",
      SIGNER_ID: "signer-a",
      SIGNER_BODY_LIMIT_BYTES: "2048",
      SIGNER_BATCH_MAX: "1024",
      SIGNER_CANONICAL_MAX_BYTES: "4096",
      SIGNER_CANONICAL_MAX_DEPTH: "8",
      NODE_ENV: "test",
      REQUIRE_KMS: "false",
    });
    assert.equal(config.host, "::");
    assert.equal(config.port, 0);
    assert.equal(config.managementHost, "localhost");
    assert.equal(config.managementPort, 0);
    assert.equal(config.dataDir, "/data/signer");
    assert.equal(config.logLevel, "debug");
    assert.equal(config.signerId, "signer-a");
    assert.equal(config.nodeEnv, "test");
    assert.equal(config.strict, false);
    assert.deepEqual(config.limits, {
      bodyLimitBytes: 2048,
      batchMaxItems: 1024,
      canonicalMaxBytes: 4096,
      canonicalMaxDepth: 8,
    });
  });

  it("MANAGEMENT_HOST defaults to HOST", () => {
    assert.equal(load({ HOST: "10.0.0.5" }).managementHost, "10.0.0.5");
  });

  it("treats an empty variable as unset", () => {
    assert.equal(load({ PORT: "", REQUIRE_KMS: "", DATABASE_URL: "" }).port, 8081);
  });

  it("reads AWS region, endpoint and credentials for awskms: keys", () => {
    const config = load(
      {
        AWS_REGION: "eu-west-1",
        KMS_ENDPOINT: "http://127.0.0.1:4599",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "file:/run/secrets/aws",
      },
      { "/run/secrets/aws": "wJalrXUtnFEMI\n" },
    );
    assert.equal(config.aws.region, "eu-west-1");
    assert.equal(config.aws.endpoint, "http://127.0.0.1:4599");
    assert.equal(config.aws.credentials?.accessKeyId, "AKIDEXAMPLE");
    assert.equal(config.aws.credentials?.secretAccessKey.revealText(), "wJalrXUtnFEMI");
  });
});

describe("loadConfig rejects invalid values, naming the variable", () => {
  const cases: [string, string][] = [
    ["PORT", "abc"],
    ["PORT", "-1"],
    ["PORT", "65536"],
    ["PORT", "80.5"],
    ["PORT", "1e3"],
    ["PORT", "0x50"],
    ["MANAGEMENT_PORT", "http"],
    ["HOST", "bad host!"],
    ["MANAGEMENT_HOST", "a/b"],
    ["REQUIRE_KMS", "yes"],
    ["LOG_LEVEL", "verbose"],
    ["SIGNER_BATCH_MAX", "1025"],
    ["SIGNER_BATCH_MAX", "0"],
    ["SIGNER_BODY_LIMIT_BYTES", "0"],
    ["SIGNER_CANONICAL_MAX_BYTES", "-5"],
    ["SIGNER_CANONICAL_MAX_DEPTH", "deep"],
    ["SIGNER_ID", "has space"],
    ["AUDIT_SIGNING_ALG", "rsa"],
    ["SIGNING_PROXY_API_KEY", "too-short"],
    ["DATABASE_URL", "mysql://user:pw@db/signer"],
    ["KMS_ENDPOINT", "ftp://kms.local"],
    ["AWS_REGION", "EU West"],
  ];
  for (const [name, value] of cases) {
    it(`${name}=${value}`, () => {
      const err = configError(() => load({ [name]: value }));
      assert.ok(err.message.startsWith(`${name}: `), err.message);
      assert.equal(err.code, "ERR_CONFIG_INVALID");
    });
  }

  it("names the missing half of the AWS credentials", () => {
    assert.equal(configError(() => load({ AWS_ACCESS_KEY_ID: "AKID" })).field, "AWS_SECRET_ACCESS_KEY");
  });

  it("refuses PORT equal to MANAGEMENT_PORT", () => {
    const err = configError(() => load({ PORT: "9000", MANAGEMENT_PORT: "9000" }));
    assert.match(err.message, /^MANAGEMENT_PORT: must differ from PORT/);
  });

  it("never echoes a rejected secret", () => {
    const err = configError(() => load({ DATABASE_URL: "mysql://admin:hunter2-secret@db/x" }));
    assert.ok(!err.message.includes("hunter2"), err.message);
    const short = configError(() => load({ SIGNING_PROXY_API_KEY: "sekrit-value" }));
    assert.ok(!short.message.includes("sekrit-value"), short.message);
  });
});

describe("loadConfig result", () => {
  const file = {
    keys: [{ kid: "a", uri: "softkey:env=KEY_A", alg: "hmac-sha256" }],
    principals: [
      {
        id: "svc",
        match: { cn: "svc" },
        roles: ["service"],
        keys: ["a"],
        rateLimit: { max: 5, windowMs: 1000 },
      },
    ],
    multisig: { policies: [{ id: "p", threshold: 1, signers: ["a"] }] },
  };

  it("is deep-frozen", () => {
    const config = loadWithFile(file, { KEY_A: HMAC_SECRET });
    for (const part of [
      config,
      config.keys,
      config.keys[0],
      config.keys[0]?.usage,
      config.limits,
      config.aws,
      config.principals[0],
      config.principals[0]?.match,
      config.principals[0]?.rateLimit,
      config.multisig,
      config.multisig.policies[0]?.signers,
      config.warnings,
    ]) {
      assert.ok(Object.isFrozen(part));
    }
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => (config.keys as unknown as string[]).push("x"), TypeError);
  });

  it("keeps Secret instances usable", () => {
    const config = loadWithFile(file, { KEY_A: HMAC_SECRET, SIGNING_PROXY_API_KEY: "a-long-enough-api-key" });
    assert.ok(config.keys[0]?.secret instanceof Secret);
    assert.equal(config.keys[0]?.secret?.revealText(), HMAC_SECRET);
    assert.equal(config.apiKey?.revealText(), "a-long-enough-api-key");
  });

  it("JSON.stringify(config) contains no secret value", () => {
    const pem = privatePem("ed25519");
    const secrets = {
      db: "postgres://signer:db-password-123@db:5432/signer",
      api: "api-key-value-0123456789",
      hmac: HMAC_SECRET,
      pin: "98765-pin",
      aws: "aws-secret-access-key-xyz",
    };
    const config = loadWithFile(
      {
        keys: [
          { kid: "a", uri: "softkey:env=KEY_A", alg: "hmac-sha256" },
          { kid: "b", uri: "softkey:env=KEY_B", alg: "ed25519" },
          {
            kid: "h",
            uri: `pkcs11:token=t;object=o?module-path=/lib/x.so&pin-value=${secrets.pin}`,
            alg: "ed25519",
          },
        ],
        defaultKid: "a",
      },
      {
        KEY_A: secrets.hmac,
        KEY_B: pem,
        DATABASE_URL: secrets.db,
        SIGNING_PROXY_API_KEY: secrets.api,
        AWS_ACCESS_KEY_ID: "AKID",
        AWS_SECRET_ACCESS_KEY: secrets.aws,
      },
    );
    const json = JSON.stringify(config);
    for (const value of [...Object.values(secrets), "db-password-123", "PRIVATE KEY"]) {
      assert.ok(!json.includes(value), `JSON contains ${value}`);
    }
    assert.ok(json.includes("pin-value=***"));
    // The backends still get the real URI.
    assert.ok(config.keys[2]?.uri.endsWith(`pin-value=${secrets.pin}`));
  });

  it("is a ConfigError instance with a field", () => {
    const err = configError(() => load({ PORT: "x" }));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.field, "PORT");
    assert.equal(err.name, "ConfigError");
  });
});
