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
import { ALG_NAMES } from "../../src/algorithms.js";
import {
  type BackendContext,
  type BackendTelemetry,
  BackendUnavailableError,
  type SigningBackend,
} from "../../src/backends/backend.js";
import { pkcs11BackendFactory } from "../../src/backends/pkcs11/create-pkcs11-backend.js";
import { createBackend } from "../../src/backends/registry.js";
import { DEV, faultyModule, keyConfig, makeToolKeys, TOOL_KEYS } from "./pkcs11-fixture.js";

/** A context whose telemetry counts retries, so a test can see that a recovery happened. */
function counting(): { ctx: BackendContext; retries: () => number } {
  let retries = 0;
  const telemetry: BackendTelemetry = {
    retried: () => void retries++,
    circuitChanged: () => {},
    failed: () => {},
  };
  return { ctx: { ...DEV, telemetry }, retries: () => retries };
}

async function signsAndVerifies(backend: SigningBackend): Promise<void> {
  const digest = randomBytes(32);
  assert.equal(await backend.verify(digest, await backend.sign(digest)), true);
}

withSoftHsm("pkcs11 recovery on SoftHSM2", () => {
  const token = createSoftHsmToken("recovery", "55556666");
  const pinToken = createSoftHsmToken("pinchange", "77778888");
  makeToolKeys(token);
  pinToken.toolKey("ed25519", "pin-ed", "01");
  let raw: RawSession;
  before(() => {
    raw = openRawSession(token);
  });
  after(() => raw.close());
  /** A fresh raw session (close-all also closes the raw helper's own). */
  const withRawSession = <T>(fn: (session: Buffer) => T): T => {
    const session = raw.api.C_OpenSession(raw.slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      return fn(session);
    } finally {
      raw.api.C_CloseSession(session);
    }
  };

  describe("recovery from what happens to a token behind the backend's back", () => {
    for (const alg of ALG_NAMES) {
      test(`${alg}: all sessions closed (C_CloseAllSessions) → the next sign still works`, async () => {
        const { ctx, retries } = counting();
        const backend = await createBackend(keyConfig(alg, token.uri(TOOL_KEYS[alg].label)), ctx);
        await Promise.all(Array.from({ length: 8 }, () => signsAndVerifies(backend)));
        raw.api.C_CloseAllSessions(raw.slot);
        await signsAndVerifies(backend);
        assert.ok(retries() >= 1, "the backend noticed and recovered");
        await backend.close();
      });
    }

    test("C_Logout → the next sign logs in again and works", async () => {
      const { ctx, retries } = counting();
      const backend = await createBackend(keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)), ctx);
      await signsAndVerifies(backend);
      withRawSession((session) => {
        raw.api.C_Logout(session);
        assert.equal(raw.api.C_GetSessionInfo(session).state, 0, "logged out: a public session");
      });
      await signsAndVerifies(backend);
      assert.ok(retries() >= 1);
      withRawSession((session) =>
        assert.equal(raw.api.C_GetSessionInfo(session).state, 1, "logged in again"),
      );
      await backend.close();
    });

    test("the token is removed and re-inserted: 503 while it is gone, signing again once it is back", async () => {
      const faults = faultyModule();
      const backend = await pkcs11BackendFactory({ loader: faults.loader })(
        keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)),
        DEV,
      );
      faults.fail("C_SignInit", "CKR_DEVICE_REMOVED");
      faults.hideTokens(true);
      await assert.rejects(backend.sign(randomBytes(32)), (err: unknown) => {
        assert.ok(err instanceof BackendUnavailableError, String(err));
        assert.match(
          err.message,
          /the token is not available \(no initialized token matches token "recovery"/,
        );
        return true;
      });
      faults.hideTokens(false);
      faults.fail("C_OpenSession", "CKR_TOKEN_NOT_PRESENT");
      await signsAndVerifies(backend);
      faults.fail("C_SignInit", "CKR_DEVICE_REMOVED");
      await signsAndVerifies(backend);
      await backend.close();
    });

    test("a CKR_USER_NOT_LOGGED_IN answer → log in again and retry", async () => {
      const faults = faultyModule();
      const backend = await pkcs11BackendFactory({ loader: faults.loader })(
        keyConfig("hmac-sha256", token.uri(TOOL_KEYS["hmac-sha256"].label)),
        DEV,
      );
      faults.fail("C_SignAsync", "CKR_USER_NOT_LOGGED_IN");
      await signsAndVerifies(backend);
      await backend.close();
    });

    test("retries are bounded: a fault that persists is a 503, not a loop", async () => {
      const faults = faultyModule();
      const backend = await pkcs11BackendFactory({ loader: faults.loader, maxAttempts: 3 })(
        keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)),
        DEV,
      );
      faults.calls.clear();
      faults.fail("C_SignInit", "CKR_SESSION_HANDLE_INVALID", 100);
      await assert.rejects(
        backend.sign(randomBytes(32)),
        /PKCS#11 signing failed on token "recovery" \(CKR_SESSION_HANDLE_INVALID\)/,
      );
      assert.equal(faults.calls.get("C_SignInit"), 3);
      faults.fail("C_SignInit", "CKR_SESSION_HANDLE_INVALID", 0);
      faults.fail("C_SignInit", "CKR_KEY_FUNCTION_NOT_PERMITTED");
      faults.calls.clear();
      await assert.rejects(backend.sign(randomBytes(32)), BackendUnavailableError);
      assert.equal(faults.calls.get("C_SignInit"), 1, "an error no retry can fix is not retried");
      await backend.close();
    });
  });

  describe("session pool", () => {
    test("no free session within the wait → 503 (BackendUnavailableError), not a hang", async () => {
      const faults = faultyModule();
      const backend = await pkcs11BackendFactory({ loader: faults.loader, sessionWaitMs: 50 })(
        keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label, "pool-size=1")),
        DEV,
      );
      const release = faults.holdSigns();
      const stuck = backend.sign(randomBytes(32));
      await assert.rejects(backend.sign(randomBytes(32)), (err: unknown) => {
        assert.ok(err instanceof BackendUnavailableError, String(err));
        assert.match(err.message, /no free session within 50 ms \(pool of 1\)/);
        return true;
      });
      release();
      assert.equal((await stuck).length, 64);
      await backend.close();
    });

    test("64 concurrent signs on two keys complete with one login, and the event loop keeps ticking", async () => {
      // Logged out first, so the backends must log in themselves (and only once between them).
      withRawSession((session) => raw.api.C_Logout(session));
      const faults = faultyModule();
      const make = pkcs11BackendFactory({ loader: faults.loader });
      const rsa = await make(
        keyConfig("rsa-sha256", token.uri(TOOL_KEYS["rsa-sha256"].label, "pool-size=4")),
        DEV,
      );
      const ed = await make(keyConfig("ed25519", token.uri(TOOL_KEYS.ed25519.label)), DEV);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        for (let round = 0; round < 4; round++) {
          const digests = Array.from({ length: 64 }, () => randomBytes(32));
          const sigs = await Promise.all(digests.map((d, i) => (i % 2 ? ed : rsa).sign(d)));
          for (const [i, sig] of sigs.entries()) assert.ok(await (i % 2 ? ed : rsa).verify(digests[i]!, sig));
        }
      } finally {
        clearInterval(timer);
      }
      // Signing on the event loop would starve the timer until all 256 signatures were done.
      assert.ok(ticks >= 2, `the interval ticked ${ticks} times while signing`);
      assert.ok((faults.calls.get("C_OpenSession") ?? 0) <= 4, "the pool is shared and bounded by pool-size");
      assert.equal(faults.calls.get("C_Login"), 1, "one login for the token, shared by both keys");
      await Promise.all([rsa.close(), ed.close()]);
    });
  });

  describe("a PIN changed on the token while running", () => {
    test("fails with 503 and is not retried at every request (no lockout)", async () => {
      const faults = faultyModule();
      const backend = await pkcs11BackendFactory({ loader: faults.loader })(
        keyConfig("ed25519", pinToken.uri("pin-ed")),
        DEV,
      );
      const other = openRawSession(pinToken);
      other.api.C_SetPIN(other.session, pinToken.pin, "12121212");
      other.api.C_Logout(other.session);
      faults.calls.clear();
      await assert.rejects(backend.sign(randomBytes(32)), /CKR_PIN_INCORRECT/);
      await assert.rejects(
        backend.sign(randomBytes(32)),
        /refused the PIN \(CKR_PIN_INCORRECT\); not retrying until restart/,
      );
      await assert.rejects(backend.healthCheck(), BackendUnavailableError);
      assert.equal(faults.calls.get("C_Login"), 1, "one attempt with the old PIN, then none");
      other.api.C_Login(other.session, pkcs11js.CKU_USER, "12121212");
      other.api.C_SetPIN(other.session, "12121212", pinToken.pin);
      other.close();
      await backend.close();
    });
  });
});
