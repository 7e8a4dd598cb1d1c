import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { example, ops } from "./file-fixture.js";
import { configError, HMAC_SECRET, load, loadWithFile, privatePem } from "./helpers.js";

function fileError(file: unknown, env: Record<string, string> = {}): string {
  return configError(() => loadWithFile(file, env)).message;
}

describe("SIGNER_CONFIG: a valid file", () => {
  it("loads the A3 example with defaults applied", () => {
    const config = loadWithFile(example);
    assert.equal(config.keys.length, 9);
    const first = config.keys[0];
    assert.deepEqual(
      { status: first?.status, description: first?.description, usage: first?.usage, source: first?.source },
      {
        status: "active",
        description: "Primary audit signer",
        usage: ["sign"],
        source: "SIGNER_CONFIG keys[0]",
      },
    );
    assert.equal(config.keys[1]?.status, "candidate");
    assert.equal(config.keys[2]?.status, "active");
    assert.equal(config.keys[2]?.description, "");
    assert.deepEqual(config.keys[2]?.usage, ["sign"]);
    assert.equal(config.keys[3]?.secret, undefined, "softkey:file= is left to the backend");
    assert.equal(config.keys[3]?.dev, false);
    assert.equal(config.defaultKid, "audit-ed25519-v1");
    assert.equal(config.auditKid, "hsm-audit-v2");
    assert.equal(config.logKid, "kms-rsa-v1");
    assert.equal(config.logOrigin, "signer.example/log");
    assert.deepEqual(config.principals[0], {
      id: "memory-layer",
      match: { cn: "memory-layer" },
      roles: ["service"],
      keys: ["audit-ed25519-v1"],
      requireApiKey: false,
    });
    assert.deepEqual(config.principals[1]?.rateLimit, { max: 100, windowMs: 1000 });
    assert.equal(config.principals[1]?.requireApiKey, true);
    assert.deepEqual(config.principals[2]?.keys, []);
    assert.deepEqual(config.multisig.policies, [{ id: "upgrades", threshold: 3, signers: ops }]);
  });

  it("resolves a relative SIGNER_CONFIG against the working directory", () => {
    const config = load(
      { SIGNER_CONFIG: "conf/signer.json" },
      { "/srv/signer/conf/signer.json": JSON.stringify(example) },
    );
    assert.equal(config.keys.length, 9);
  });

  it("auditKid defaults to defaultKid", () => {
    const { auditKid, ...rest } = example;
    assert.equal(loadWithFile(rest).auditKid, "audit-ed25519-v1");
  });
});

describe("SIGNER_CONFIG: softkey:env=", () => {
  it("resolves the variable into the key's secret (config is the only env reader)", () => {
    const pem = privatePem("ed25519");
    const config = loadWithFile(
      {
        keys: [
          { kid: "h", uri: "softkey:env=HMAC_KEY", alg: "hmac-sha256" },
          { kid: "e", uri: "softkey:env=ED_KEY", alg: "ed25519" },
        ],
      },
      { HMAC_KEY: HMAC_SECRET, ED_KEY: "file:/run/ed.pem" },
      { "/run/ed.pem": pem },
    );
    assert.equal(config.keys[0]?.secret?.revealText(), HMAC_SECRET);
    // A file: text secret loses one trailing newline; the PEM stays valid.
    assert.equal(config.keys[1]?.secret?.revealText(), pem.replace(/\n$/, ""));
  });

  it("names the key and the variable when it is unset, short or of another algorithm", () => {
    const hmac = { keys: [{ kid: "h", uri: "softkey:env=HMAC_KEY", alg: "hmac-sha256" }] };
    assert.equal(fileError(hmac), "SIGNER_CONFIG keys[0].uri: variable HMAC_KEY is not set");
    assert.match(
      fileError(hmac, { HMAC_KEY: "short" }),
      /^SIGNER_CONFIG keys\[0\]\.uri \(HMAC_KEY\): an hmac-sha256 secret/,
    );
    const rsa = { keys: [{ kid: "r", uri: "softkey:env=K", alg: "rsa-sha256" }] };
    assert.equal(
      fileError(rsa, { K: privatePem("ed25519") }),
      "SIGNER_CONFIG keys[0].uri (K): the key is ed25519 but SIGNER_CONFIG keys[0].alg is rsa-sha256",
    );
  });
});
