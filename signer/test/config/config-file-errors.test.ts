import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { key, ops, withPart } from "./file-fixture.js";
import { configError, load, loadWithFile } from "./helpers.js";

function fileError(file: unknown, env: Record<string, string> = {}): string {
  return configError(() => loadWithFile(file, env)).message;
}

describe("SIGNER_CONFIG: errors name their path", () => {
  const cases: [string, unknown, string][] = [
    ["unknown top-level field", withPart({ extra: 1 }), "SIGNER_CONFIG extra: unknown field"],
    [
      "unknown key field",
      { keys: [key("a", { colour: "red" })] },
      "SIGNER_CONFIG keys[0].colour: unknown field",
    ],
    [
      "bad alg",
      { keys: [key("a"), key("b", { alg: "ES256" })] },
      "SIGNER_CONFIG keys[1].alg: expected one of ed25519, ecdsa-sha256, rsa-sha256, hmac-sha256",
    ],
    [
      "bad status",
      { keys: [key("a", { status: "on" })] },
      "SIGNER_CONFIG keys[0].status: expected one of active, candidate, retired, revoked",
    ],
    ["missing uri", { keys: [{ kid: "a", alg: "ed25519" }] }, "SIGNER_CONFIG keys[0].uri: required"],
    [
      "bad kid",
      { keys: [key("a b")] },
      "SIGNER_CONFIG keys[0].kid: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -",
    ],
    ["long kid", { keys: [key("k".repeat(129))] }, "SIGNER_CONFIG keys[0].kid: expected 1 to 128 characters"],
    [
      "bad uri scheme",
      { keys: [key("a", { uri: "file:/k.pem" })] },
      "SIGNER_CONFIG keys[0].uri: expected a softkey:, pkcs11: or awskms: URI",
    ],
    [
      "softkey:inline",
      { keys: [key("a", { uri: "softkey:inline" })] },
      "SIGNER_CONFIG keys[0].uri: softkey:inline is reserved",
    ],
    [
      "awskms without key-id",
      { keys: [key("a", { uri: "awskms:region=x" })] },
      "SIGNER_CONFIG keys[0].uri: an awskms: URI needs key-id=",
    ],
    ["wrong type", { keys: {} }, "SIGNER_CONFIG keys: expected array, got object"],
    [
      "duplicate kid",
      { keys: [key("a"), key("b"), key("a")] },
      'SIGNER_CONFIG keys[2].kid: duplicate kid "a" (also SIGNER_CONFIG keys[0])',
    ],
    [
      "unknown defaultKid",
      withPart({ defaultKid: "nope" }),
      'SIGNER_CONFIG defaultKid: kid "nope" is not a configured key',
    ],
    [
      "unknown auditKid",
      withPart({ auditKid: "nope" }),
      'SIGNER_CONFIG auditKid: kid "nope" is not a configured key',
    ],
    [
      "unknown logKid",
      withPart({ logKid: "nope" }),
      'SIGNER_CONFIG logKid: kid "nope" is not a configured key',
    ],
    [
      "unknown kid in a principal",
      withPart({
        principals: [{ id: "p", match: { cn: "p" }, roles: ["service"], keys: ["op-bob-v1", "ghost"] }],
      }),
      'SIGNER_CONFIG principals[0].keys[1]: kid "ghost" is not a configured key',
    ],
    [
      "unknown role",
      withPart({ principals: [{ id: "p", match: { cn: "p" }, roles: ["root"] }] }),
      "SIGNER_CONFIG principals[0].roles[0]: expected one of SuperAdmin, DivisionLead, Operator, Auditor, service",
    ],
    [
      "match with both cn and san_uri",
      withPart({ principals: [{ id: "p", match: { cn: "p", san_uri: "spiffe://p" }, roles: ["service"] }] }),
      "SIGNER_CONFIG principals[0].match: expected exactly one of cn or san_uri",
    ],
    [
      "match with neither",
      withPart({ principals: [{ id: "p", match: {}, roles: ["service"] }] }),
      "SIGNER_CONFIG principals[0].match: expected exactly one of cn or san_uri",
    ],
    [
      "duplicate principal id",
      withPart({
        principals: [
          { id: "p", match: { cn: "a" }, roles: ["service"] },
          { id: "p", match: { cn: "b" }, roles: ["service"] },
        ],
      }),
      "SIGNER_CONFIG principals[1].id: duplicate id (also principals[0])",
    ],
    [
      "two principals for one identity",
      withPart({
        principals: [
          { id: "a", match: { cn: "x" }, roles: ["service"] },
          { id: "b", match: { cn: "x" }, roles: ["Auditor"] },
        ],
      }),
      "SIGNER_CONFIG principals[1].match.cn: already matched by principals[0]",
    ],
    [
      "zero rate limit",
      withPart({
        principals: [
          { id: "a", match: { cn: "x" }, roles: ["service"], rateLimit: { max: 0, windowMs: 1000 } },
        ],
      }),
      "SIGNER_CONFIG principals[0].rateLimit.max: expected at least 1",
    ],
    [
      "fractional window",
      withPart({
        principals: [
          { id: "a", match: { cn: "x" }, roles: ["service"], rateLimit: { max: 1, windowMs: 1.5 } },
        ],
      }),
      "SIGNER_CONFIG principals[0].rateLimit.windowMs: expected int",
    ],
    [
      "threshold 0",
      withPart({ multisig: { policies: [{ id: "u", threshold: 0, signers: ops }] } }),
      "SIGNER_CONFIG multisig.policies[0].threshold: expected at least 1",
    ],
    [
      "threshold above the number of signers",
      withPart({ multisig: { policies: [{ id: "u", threshold: 6, signers: ops }] } }),
      "SIGNER_CONFIG multisig.policies[0].threshold: expected an integer from 1 to 5 (the number of signers)",
    ],
    [
      "duplicate signer",
      withPart({
        multisig: {
          policies: [{ id: "u", threshold: 2, signers: ["op-bob-v1", "op-alice-v1", "op-bob-v1"] }],
        },
      }),
      'SIGNER_CONFIG multisig.policies[0].signers[2]: duplicate signer "op-bob-v1"',
    ],
    [
      "unknown signer",
      withPart({ multisig: { policies: [{ id: "u", threshold: 1, signers: ["op-bob-v1", "op-zed-v1"] }] } }),
      'SIGNER_CONFIG multisig.policies[0].signers[1]: kid "op-zed-v1" is not a configured key',
    ],
    [
      "duplicate policy id",
      withPart({
        multisig: {
          policies: [
            { id: "u", threshold: 1, signers: ops },
            { id: "u", threshold: 1, signers: ops },
          ],
        },
      }),
      "SIGNER_CONFIG multisig.policies[1].id: duplicate id (also policies[0])",
    ],
    [
      "unknown multisig field",
      withPart({ multisig: { policies: [], quorum: 2 } }),
      "SIGNER_CONFIG multisig.quorum: unknown field",
    ],
  ];
  for (const [name, file, expected] of cases) {
    it(name, () => {
      const message = fileError(file);
      assert.ok(message.startsWith(expected), `got: ${message}`);
    });
  }

  it("reports every problem on one line", () => {
    const message = fileError({ keys: [key("a", { alg: "x" }), key("b c")], bogus: true });
    assert.ok(!message.includes("\n"));
    for (const part of ["keys[0].alg", "keys[1].kid", "SIGNER_CONFIG bogus: unknown field"]) {
      assert.ok(message.includes(part), message);
    }
  });

  it("invalid JSON gives a position, not the file's text", () => {
    const message = fileError('{"keys": [{"kid": "h", "uri": "pkcs11:x?pin-value=4242",}]}');
    assert.match(message, /^SIGNER_CONFIG: not valid JSON \(line 1, column \d+\)$/);
    assert.ok(!message.includes("4242"));
  });

  it("a missing file names SIGNER_CONFIG and the path", () => {
    assert.equal(
      configError(() => load({ SIGNER_CONFIG: "/etc/none.json" })).message,
      "SIGNER_CONFIG: cannot read /etc/none.json (ENOENT)",
    );
  });
});
