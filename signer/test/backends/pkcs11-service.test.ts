import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { opensslVerify } from "../../../test/helpers/openssl.js";
import { type ServiceFixture, startFixture } from "../../../test/helpers/service-fixture.js";
import {
  createSoftHsmToken,
  openRawSession,
  type RawSession,
  withSoftHsm,
} from "../../../test/helpers/softhsm.js";
import { call } from "../../../test/helpers/tls-client.js";
import { BackendConfigError } from "../../src/backends/backend.js";
import { makeToolKeys, TOOL_KEYS, writeSecretFile } from "./pkcs11-fixture.js";

type Json = Record<string, unknown>;
const KIDS = {
  ed25519: "hsm-ed",
  "ecdsa-sha256": "hsm-p256",
  "rsa-sha256": "hsm-rsa",
  "hmac-sha256": "hsm-hmac",
} as const;

withSoftHsm("the service signing with PKCS#11 keys", () => {
  const token = createSoftHsmToken("service", "13572468");
  makeToolKeys(token);
  token.toolKey("ed25519", "audit-ed", "a0");
  token.toolKey("ed25519", "doomed-ed", "d0");
  // A token the running service never logs in to, so a wrong PIN reaches C_Login.
  const lonely = createSoftHsmToken("svc-lonely", "24242424");
  lonely.toolKey("ed25519", "lonely-ed", "01");
  const mod = `module-path=${token.modulePath}`;
  /** Every key on the token; the audit key reads its PIN from the environment through config. */
  const keys = [
    ...Object.entries(KIDS).map(([alg, kid]) => ({
      kid,
      uri: token.uri(TOOL_KEYS[alg as keyof typeof KIDS].label),
      alg,
    })),
    {
      kid: "hsm-audit",
      uri: `pkcs11:token=service;object=audit-ed?${mod}&pin-source=env:HSM_PIN`,
      alg: "ed25519",
    },
    { kid: "hsm-doomed", uri: token.uri("doomed-ed"), alg: "ed25519" },
  ];
  const configPatch = {
    keys,
    defaultKid: "hsm-ed",
    auditKid: "hsm-audit",
    principals: [
      {
        id: "memory-layer",
        match: { cn: "memory-layer" },
        roles: ["service"],
        keys: [...Object.values(KIDS), "hsm-doomed"],
      },
      { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
    ],
  };
  let raw: RawSession;
  let fx: ServiceFixture;
  let pems: Map<string, string>;
  before(async () => {
    raw = openRawSession(token);
    fx = await startFixture({ configPatch, env: { HSM_PIN: token.pin } });
    const listed = await call(fx.agent("memory-layer"), `${fx.service.url}/keys`);
    pems = new Map(
      (listed.body as { signers: Json[] }).signers
        .filter((s) => typeof s.public_key_pem === "string")
        .map((s) => [s.signer_kid as string, s.public_key_pem as string]),
    );
  });
  after(async () => {
    await fx?.close();
    raw?.close();
  });

  const sign = (kid: string, digest: Buffer) =>
    call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex: digest.toString("hex"), kid },
    });

  describe("/sign/hash with keys made by pkcs11-tool", () => {
    for (const [alg, kid] of Object.entries(KIDS)) {
      test(`${alg}: openssl verifies with the PEM from /keys (HMAC: /verify)`, async () => {
        const digest = randomBytes(32);
        const res = await sign(kid, digest);
        assert.equal(res.status, 200, res.text);
        const body = res.body as Json;
        assert.equal(body.alg, alg);
        const signature = Buffer.from(body.signature as string, "base64");
        if (alg === "hmac-sha256") assert.equal(pems.has(kid), false, "HMAC keys have no public_key_pem");
        else assert.ok(opensslVerify(alg, pems.get(kid)!, digest, signature), "openssl verifies");
        const check = await call(fx.agent("memory-layer"), `${fx.service.url}/verify`, {
          body: { kid, signature: body.signature, digestHex: body.digestHex },
        });
        assert.deepEqual(check.body, { valid: true, kid, alg });
      });
    }

    test("the audit log is sealed by the PKCS#11 audit key: openssl verifies a seal", async () => {
      assert.equal((await sign("hsm-ed", randomBytes(32))).status, 200);
      const res = await call(fx.agent("auditor"), `${fx.service.url}/audit/events?fromSeq=0&limit=100`);
      assert.equal(res.status, 200, res.text);
      const sealed = (res.body as { events: Json[] }).events.filter((e) => typeof e.signature === "string");
      assert.ok(sealed.length > 0, "at least one sealed batch");
      for (const event of sealed) {
        assert.equal(event.auditKid, "hsm-audit");
        const seal = Buffer.from(event.signature as string, "base64");
        assert.ok(
          opensslVerify("ed25519", pems.get("hsm-audit")!, Buffer.from(event.hash as string, "hex"), seal),
        );
      }
    });
  });

  describe("readiness and recovery through the service", () => {
    test("/readyz self-tests every PKCS#11 key", async () => {
      const res = await call(undefined, `${fx.service.managementUrl}/readyz`);
      assert.equal(res.status, 200, res.text);
      const checks = (res.body as { checks: Record<string, string> }).checks;
      for (const kid of [...Object.values(KIDS), "hsm-audit"]) assert.equal(checks[`key:${kid}`], "ok", kid);
    });

    test("sessions closed behind the service's back: the next request still signs", async () => {
      raw.api.C_CloseAllSessions(raw.slot);
      const res = await sign("hsm-p256", randomBytes(32));
      assert.equal(res.status, 200, res.text);
    });

    test("a key deleted from the token: 503 ERR_BACKEND_UNAVAILABLE with Retry-After, and /readyz says so", async () => {
      assert.equal((await sign("hsm-doomed", randomBytes(32))).status, 200);
      token.tool(["--delete-object", "--type", "privkey", "--label", "doomed-ed"]);
      const res = await sign("hsm-doomed", randomBytes(32));
      assert.equal(res.status, 503, res.text);
      assert.equal((res.body as { error: { code: string } }).error.code, "ERR_BACKEND_UNAVAILABLE");
      assert.ok(res.headers["retry-after"]);
      assert.ok(!res.text.includes("doomed-ed"), "backend detail stays in the logs");
      const ready = await call(undefined, `${fx.service.managementUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(
        (ready.body as { checks: Record<string, string> }).checks["key:hsm-doomed"] ?? "",
        /^error/,
      );
      assert.equal((await sign("hsm-ed", randomBytes(32))).status, 200, "other keys keep signing");
    });
  });

  describe("start-up refusals", () => {
    test("a wrong PIN stops start-up with a clear error that does not contain the PIN", async () => {
      const wrong = writeSecretFile(lonely, "wrong.pin", "00000000\n");
      const uri = `pkcs11:token=svc-lonely;object=lonely-ed?${mod}&pin-source=file:${wrong}`;
      const bad = {
        keys: [{ kid: "lonely", uri, alg: "ed25519" }],
        defaultKid: "lonely",
        auditKid: "lonely",
        principals: [],
      };
      await assert.rejects(startFixture({ configPatch: bad }), (err: unknown) => {
        assert.ok(err instanceof BackendConfigError, String(err));
        assert.match(
          err.message,
          /^key lonely: token "svc-lonely": the token rejected the PIN \(CKR_PIN_INCORRECT\)$/,
        );
        assert.ok(!err.message.includes("00000000") && !err.message.includes(lonely.pin));
        return true;
      });
    });
  });
});
