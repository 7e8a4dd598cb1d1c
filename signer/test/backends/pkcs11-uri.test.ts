import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BackendConfigError } from "../../src/backends/backend.js";
import { configUriFor } from "../../src/backends/pkcs11/generate-key.js";
import { parsePkcs11Uri, percentEncode } from "../../src/backends/pkcs11/uri.js";

const MOD = "module-path=/usr/lib/softhsm/libsofthsm2.so";

function refuses(uri: string, pattern: RegExp): void {
  assert.throws(
    () => parsePkcs11Uri(uri, "k1"),
    (err: unknown) => {
      assert.ok(err instanceof BackendConfigError, String(err));
      assert.match(err.message, /^key k1: pkcs11: URI: /);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe("pkcs11: URI parsing (RFC 7512)", () => {
  test("the DESIGN.md A3 example", () => {
    const uri = parsePkcs11Uri(
      `pkcs11:token=signer;object=audit-v2?${MOD}&pin-source=file:/run/secrets/pin`,
      "k1",
    );
    assert.equal(uri.token, "signer");
    assert.equal(uri.object, "audit-v2");
    assert.equal(uri.modulePath, "/usr/lib/softhsm/libsofthsm2.so");
    assert.deepEqual(uri.pin, { kind: "file", path: "/run/secrets/pin" });
    assert.equal(uri.id, undefined);
    assert.equal(uri.poolSize, undefined);
  });

  test("percent-encoded values: id as raw bytes, labels as UTF-8", () => {
    const uri = parsePkcs11Uri(
      `pkcs11:token=My%20Token;object=caf%C3%A9%3Bkey;id=%00%ff%01;serial=abc;slot-id=42;type=private?${MOD}`,
      "k1",
    );
    assert.equal(uri.token, "My Token");
    assert.equal(uri.object, "café;key");
    assert.deepEqual(uri.id, Buffer.from([0, 255, 1]));
    assert.equal(uri.serial, "abc");
    assert.equal(uri.slotId, 42n);
    assert.equal(uri.type, "private");
  });

  test("id alone names a key; pin-source env:, file:/// and pin-value; pool-size", () => {
    const byId = parsePkcs11Uri(`pkcs11:id=%01?${MOD}&pin-source=env:HSM_PIN&pool-size=16`, "k1");
    assert.deepEqual(byId.pin, { kind: "env", name: "HSM_PIN" });
    assert.equal(byId.poolSize, 16);
    const fileUrl = parsePkcs11Uri(`pkcs11:object=a?${MOD}&pin-source=file:///run/pin`, "k1");
    assert.deepEqual(fileUrl.pin, { kind: "file", path: "/run/pin" });
    const value = parsePkcs11Uri(`pkcs11:object=a?${MOD}&pin-value=1234`, "k1");
    assert.equal(value.pin.kind, "value");
    assert.ok(!JSON.stringify(value).includes("1234"), "a pin-value never serializes");
    assert.equal(parsePkcs11Uri(`PKCS11:object=a?${MOD}`, "k1").pin.kind, "none");
  });

  test("refuses unknown, unsupported, misplaced and repeated attributes", () => {
    refuses(`pkcs11:object=a;colour=blue?${MOD}`, /unknown path attribute colour \(expected token, serial/);
    refuses(`pkcs11:object=a?${MOD}&flavour=x`, /unknown query attribute flavour/);
    refuses(`pkcs11:object=a;model=x?${MOD}`, /RFC 7512 attribute model= is not supported/);
    refuses(`pkcs11:object=a?module-name=softhsm2`, /module-name= is not supported/);
    refuses(`pkcs11:object=a;module-path=/x.so`, /module-path= belongs in the query \(after \?\)/);
    refuses(`pkcs11:object=a?${MOD}&token=t`, /token= belongs in the path \(before \?\)/);
    refuses(`pkcs11:object=a;object=b?${MOD}`, /object= appears twice/);
    refuses(`pkcs11:object=a;;id=%01?${MOD}`, /path attribute 2 is not name=value/);
  });

  test("refuses malformed values precisely", () => {
    refuses(`pkcs11:object=a%2?${MOD}`, /object= has a malformed percent-escape/);
    refuses(`pkcs11:object=a b?${MOD}`, /object= has a character that must be percent-encoded/);
    refuses(`pkcs11:object=%ff%fe?${MOD}`, /object= is not valid UTF-8/);
    refuses(`pkcs11:object=?${MOD}`, /object= is empty/);
    refuses(`pkcs11:object=a;id=?${MOD}`, /id= is empty/);
    refuses(`pkcs11:object=a;slot-id=-1?${MOD}`, /slot-id= must be a decimal CK_SLOT_ID/);
    refuses(`pkcs11:object=a;slot-id=18446744073709551616?${MOD}`, /slot-id=/);
    refuses(`pkcs11:object=a?${MOD}&pool-size=0`, /pool-size= must be an integer from 1 to 256/);
    refuses(`pkcs11:object=a?${MOD}&pool-size=1e3`, /pool-size=/);
    refuses(`pkcs11:object=a;type=public?${MOD}`, /type=public cannot sign/);
  });

  test("refuses a URI without a module, without a key, or with a relative module", () => {
    refuses("pkcs11:token=t;object=a", /module-path= is required/);
    refuses(`pkcs11:token=t?${MOD}`, /names no key: give object= \(the label\) or id=/);
    refuses("pkcs11:object=a?module-path=libsofthsm2.so", /module-path= must be an absolute path/);
    refuses("softkey:file=/x", /does not start with pkcs11:/);
    refuses(`pkcs11:object=${"a".repeat(5000)}?${MOD}`, /longer than 4096/);
  });

  test("refuses bad PIN sources, and never echoes a PIN", () => {
    refuses(
      `pkcs11:object=a?${MOD}&pin-source=file:/p&pin-value=1234`,
      /pin-source= or pin-value=, not both/,
    );
    refuses(`pkcs11:object=a?${MOD}&pin-source=/run/pin`, /pin-source= must be file:PATH or env:NAME/);
    refuses(`pkcs11:object=a?${MOD}&pin-source=env:1X`, /pin-source=env: needs an environment variable name/);
    refuses(`pkcs11:object=a?${MOD}&pin-source=file://host/pin`, /needs a local path/);
    refuses(`pkcs11:object=a?${MOD}&pin-value=`, /pin-value= is empty/);
    for (const bad of [`pin-value=98765&pin-value=98765`, "pin-value=98765&colour=1", "pin-value=98%7"]) {
      assert.throws(
        () => parsePkcs11Uri(`pkcs11:object=a?${MOD}&${bad}`, "k1"),
        (err: Error) => !err.message.includes("98765") && !err.message.includes("98%7"),
      );
    }
  });
});

describe("percentEncode and the URI keys generate prints", () => {
  test("round-trips bytes; `all` encodes every byte, as RFC 7512 suggests for id", () => {
    const bytes = Buffer.from([0x00, 0x41, 0x7e, 0xff, 0x3b]);
    assert.equal(percentEncode(bytes), "%00A~%ff%3b");
    assert.equal(percentEncode(bytes, true), "%00%41%7e%ff%3b");
    const parsed = parsePkcs11Uri(`pkcs11:id=${percentEncode(bytes)}?${MOD}`, "k1");
    assert.deepEqual(parsed.id, bytes);
  });

  test("adds the new id and drops pin-value", () => {
    const original = `pkcs11:token=t;object=k?${MOD}&pin-value=1234&pool-size=2`;
    const out = configUriFor(original, parsePkcs11Uri(original, "k"), Buffer.from([1, 2]));
    assert.equal(out, `pkcs11:token=t;object=k;id=%01%02?${MOD}&pool-size=2`);
    const withId = `pkcs11:token=t;object=k;id=%07?${MOD}`;
    assert.equal(configUriFor(withId, parsePkcs11Uri(withId, "k"), Buffer.from([7])), withId);
  });
});
