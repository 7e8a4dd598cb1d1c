import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import pkcs11js from "pkcs11js";
import { ckrName, isPinRefusal, recoveryFor } from "../../src/backends/pkcs11/errors.js";
import { ecdsaRawToDer } from "../../src/backends/pkcs11/mechanisms.js";
import {
  ed25519PublicKey,
  p256PublicKey,
  rsaPublicKey,
  unwrapEcPoint,
} from "../../src/backends/pkcs11/public-key.js";
import { SessionPool, SessionPoolError } from "../../src/backends/pkcs11/session-pool.js";
import { DEFAULT_POOL_SIZE, defaultPoolSize } from "../../src/backends/pkcs11/token.js";

function pool(size: number) {
  let next = 0;
  const closed: number[] = [];
  const p = new SessionPool<number>({ size, open: () => ++next, close: (s) => void closed.push(s) });
  return { p, closed, opened: () => next };
}

describe("SessionPool", () => {
  test("opens lazily up to its size and reuses released sessions", async () => {
    const { p, opened } = pool(2);
    const a = await p.acquire(10);
    const b = await p.acquire(10);
    assert.equal(opened(), 2);
    p.release(a);
    const c = await p.acquire(10);
    assert.equal(c.session, a.session);
    assert.equal(opened(), 2);
    p.release(b);
    p.release(c);
  });

  test("a caller beyond the size waits for a release, in FIFO order", async () => {
    const { p } = pool(1);
    const first = await p.acquire(10);
    const order: number[] = [];
    const queued = (n: number) =>
      p.acquire(1000).then((lease) => {
        order.push(n);
        return lease;
      });
    const [w1, w2] = [queued(1), queued(2)];
    p.release(first);
    p.release(await w1);
    p.release(await w2);
    assert.deepEqual(order, [1, 2]);
  });

  test("the wait is bounded: no free session in time is a SessionPoolError, not a hang", async () => {
    const { p } = pool(1);
    const held = await p.acquire(10);
    const started = Date.now();
    await assert.rejects(
      p.acquire(30),
      (err: unknown) => err instanceof SessionPoolError && err.reason === "timeout",
    );
    assert.ok(Date.now() - started < 1000);
    // The timed-out waiter is gone: the next release goes to the idle list, not to it.
    p.release(held);
    assert.equal((await p.acquire(10)).session, held.session);
  });

  test("discard() frees the slot for a waiter, which opens a new session", async () => {
    const { p, closed, opened } = pool(1);
    const held = await p.acquire(10);
    const waiting = p.acquire(1000);
    p.discard(held);
    const lease = await waiting;
    assert.deepEqual(closed, [held.session]);
    assert.equal(lease.session, opened());
  });

  test("reset() closes idle sessions now and stale busy ones when they come back", async () => {
    const { p, closed } = pool(3);
    const [a, b] = [await p.acquire(10), await p.acquire(10)];
    p.release(a);
    p.reset();
    assert.deepEqual(closed, [a.session]);
    p.release(b);
    assert.deepEqual(closed, [a.session, b.session], "stale lease closed on release");
    assert.equal(p.openCount, 0);
    const fresh = await p.acquire(10);
    assert.equal(fresh.generation, p.generation);
  });

  test("an open() failure reaches the caller and frees the slot", async () => {
    let fail = true;
    const p = new SessionPool<number>({
      size: 1,
      open: () => {
        if (fail) throw new Error("CKR_TOKEN_NOT_PRESENT");
        return 7;
      },
      close: () => {},
    });
    await assert.rejects(p.acquire(10), /CKR_TOKEN_NOT_PRESENT/);
    fail = false;
    assert.equal((await p.acquire(10)).session, 7);
  });

  test("close() fails waiters and later acquires; grow() admits a waiter", async () => {
    const { p } = pool(1);
    await p.acquire(10);
    const waiting = p.acquire(1000);
    p.grow(2);
    assert.equal((await waiting).session, 2);
    const blocked = p.acquire(1000);
    p.close();
    await assert.rejects(
      blocked,
      (err: unknown) => err instanceof SessionPoolError && err.reason === "closed",
    );
    await assert.rejects(p.acquire(10), SessionPoolError);
  });
});

describe("PKCS#11 error handling", () => {
  const ckr = (name: string) =>
    new pkcs11js.Pkcs11Error(`${name}:${(pkcs11js as unknown as Record<string, number>)[name]}`);

  test("recovery by return value", () => {
    assert.equal(recoveryFor(ckr("CKR_SESSION_HANDLE_INVALID")), "session");
    assert.equal(recoveryFor(ckr("CKR_SESSION_CLOSED")), "session");
    assert.equal(recoveryFor(ckr("CKR_USER_NOT_LOGGED_IN")), "login");
    assert.equal(recoveryFor(ckr("CKR_OBJECT_HANDLE_INVALID")), "handle");
    assert.equal(recoveryFor(ckr("CKR_DEVICE_REMOVED")), "token");
    assert.equal(recoveryFor(ckr("CKR_TOKEN_NOT_PRESENT")), "token");
    assert.equal(recoveryFor(ckr("CKR_KEY_FUNCTION_NOT_PERMITTED")), "none");
    assert.equal(recoveryFor(new Error("CKR_DEVICE_REMOVED")), "none", "only real pkcs11js errors count");
    assert.equal(ckrName(ckr("CKR_PIN_INCORRECT")), "CKR_PIN_INCORRECT");
    assert.equal(ckrName(new TypeError("x")), "TypeError");
  });

  test("a refused PIN is never retried", () => {
    assert.ok(isPinRefusal(ckr("CKR_PIN_INCORRECT")));
    assert.ok(isPinRefusal(ckr("CKR_PIN_LOCKED")));
    assert.ok(!isPinRefusal(ckr("CKR_USER_NOT_LOGGED_IN")));
  });

  test("the default pool size follows the token's session limit", () => {
    assert.equal(defaultPoolSize(0), DEFAULT_POOL_SIZE, "0 = CK_EFFECTIVELY_INFINITE");
    assert.equal(defaultPoolSize(0xffffffff), DEFAULT_POOL_SIZE, "CK_UNAVAILABLE_INFORMATION");
    assert.equal(defaultPoolSize(4), 3, "one session left for other tools");
    assert.equal(defaultPoolSize(1), 1);
  });
});

describe("PKCS#11 encodings", () => {
  test("ECDSA r||s becomes low-S DER that verifies", () => {
    const { secretKey, publicKey } = p256.keygen();
    const digest = randomBytes(32);
    for (let i = 0; i < 16; i++) {
      const compact = p256.sign(digest, secretKey, { prehash: false, lowS: false, format: "compact" });
      const der = ecdsaRawToDer(Buffer.from(compact));
      const parsed = p256.Signature.fromBytes(der, "der");
      assert.equal(parsed.hasHighS(), false);
      assert.ok(p256.verify(der, digest, publicKey, { prehash: false, format: "der" }));
    }
    assert.throws(() => ecdsaRawToDer(Buffer.alloc(63)), /expected 64/);
  });

  test("CKA_EC_POINT is read raw or wrapped in an OCTET STRING, anything else refused", () => {
    const point = randomBytes(32);
    assert.deepEqual(unwrapEcPoint(Buffer.concat([Buffer.from([4, 32]), point]), 32), point);
    assert.deepEqual(unwrapEcPoint(point, 32), point);
    assert.throws(() => unwrapEcPoint(Buffer.alloc(33), 32), /expected a 32-byte point/);
  });

  test("public keys of the wrong curve or size are refused", () => {
    const ed = Buffer.from("130c656477617264733235353139", "hex");
    assert.throws(() => p256PublicKey(ed, Buffer.alloc(67)), /not on P-256/);
    assert.throws(
      () => ed25519PublicKey(Buffer.from("06082a8648ce3d030107", "hex"), Buffer.alloc(34)),
      /not Ed25519/,
    );
    const modulus = randomBytes(128);
    modulus[0]! |= 0x80; // exactly 1024 bits
    assert.throws(() => rsaPublicKey(modulus, Buffer.from([1, 0, 1])), /at least 2048 bits, not 1024/);
  });
});
