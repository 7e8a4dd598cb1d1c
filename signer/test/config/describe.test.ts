import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeConfig } from "../../src/config/config.js";
import { maskUri } from "../../src/config/describe.js";
import { HMAC_SECRET, loadWithFile } from "./helpers.js";

const PIN_URI = "pkcs11:token=t;object=o?module-path=/m.so&pin-value=13579&x=1";

describe("maskUri", () => {
  it("masks every pin-value and nothing else", () => {
    assert.equal(maskUri(PIN_URI), "pkcs11:token=t;object=o?module-path=/m.so&pin-value=***&x=1");
    assert.equal(maskUri("pkcs11:object=o?PIN-VALUE=1"), "pkcs11:object=o?PIN-VALUE=***");
    assert.equal(maskUri("awskms:key-id=k;region=r"), "awskms:key-id=k;region=r");
  });
});

describe("describeConfig", () => {
  const config = loadWithFile(
    {
      keys: [
        { kid: "h", uri: PIN_URI, alg: "ed25519" },
        { kid: "m", uri: "softkey:env=HMAC", alg: "hmac-sha256" },
      ],
      defaultKid: "h",
      principals: [{ id: "svc", match: { cn: "svc" }, roles: ["service"], keys: ["h"] }],
    },
    {
      HMAC: HMAC_SECRET,
      DATABASE_URL: "postgres://signer:pg-pass-777@db/signer",
      SIGNING_PROXY_API_KEY: "api-key-0123456789abcdef",
    },
  );
  const summary = describeConfig(config);
  const json = JSON.stringify(summary);

  it("masks pin-value in key URIs", () => {
    assert.ok(json.includes("pin-value=***"), json);
    assert.ok(!json.includes("13579"), json);
  });

  it("holds no secret values, only whether they are set", () => {
    for (const secret of [HMAC_SECRET, "pg-pass-777", "api-key-0123456789abcdef"]) {
      assert.ok(!json.includes(secret), `summary contains ${secret}`);
    }
    assert.equal(summary.apiKey, true);
  });

  it("shows kids, ports, store kind and strict flag", () => {
    assert.deepEqual(summary.store, { kind: "postgres" });
    assert.equal(summary.strict, false);
    assert.deepEqual(summary.listen, { host: "127.0.0.1", port: 8081 });
    assert.deepEqual(summary.management, { host: "127.0.0.1", port: 9090 });
    assert.deepEqual(
      (summary.keys as { kid: string }[]).map((k) => k.kid),
      ["h", "m"],
    );
    assert.equal(summary.defaultKid, "h");
  });

  it("reports the embedded SQLite store when DATABASE_URL is unset", () => {
    const sqlite = describeConfig(loadWithFile({ keys: [] }));
    assert.deepEqual(sqlite.store, { kind: "sqlite", path: "/srv/signer/var/signer.db" });
  });

  it("a logged key masks its pin-value too", () => {
    assert.ok(!JSON.stringify(config.keys[0]).includes("13579"));
  });
});
