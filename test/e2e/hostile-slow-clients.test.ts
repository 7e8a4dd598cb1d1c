import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RawTlsConnection, rawGet } from "../helpers/raw-tls.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

/** The timeouts under test, short so the suite stays fast (defaults: 10 s, 30 s, 5 s). */
const HEADERS_MS = 1000;
const REQUEST_MS = 2000;
const KEEPALIVE_MS = 1000;
/** Node checks timeouts once per connectionsCheckingInterval (≤ 1 s); allow that plus slack. */
const SLACK_MS = 1800;

// The cases are independent connections, so they run at once: the suite takes one timeout, not six.
describe("slow clients (slowloris) are cut off by the server timeouts", { concurrency: true }, () => {
  let fx: ServiceFixture;
  let creds: { ca: Buffer; cert: Buffer; key: Buffer };
  const open = () => RawTlsConnection.open(fx.service.url, creds);

  /** Write one byte every 200 ms until the server closes the connection. */
  function trickle(conn: RawTlsConnection, byte: string): void {
    const timer = setInterval(() => {
      if (conn.closed) clearInterval(timer);
      else conn.write(byte);
    }, 200);
    timer.unref();
  }

  before(async () => {
    fx = await startFixture({
      env: {
        SIGNER_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
        SIGNER_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
        SIGNER_KEEPALIVE_TIMEOUT_MS: String(KEEPALIVE_MS),
      },
    });
    const certs = join(fx.dir, "certs");
    creds = {
      ca: fx.ca,
      cert: readFileSync(join(certs, "memory-layer.crt")),
      key: readFileSync(join(certs, "memory-layer.key")),
    };
  });
  after(async () => fx.close());

  test("headers sent a byte at a time: 408 ERR_REQUEST_TIMEOUT with the envelope, then closed", async () => {
    const conn = await open();
    const started = Date.now();
    conn.write("GET /keys HTTP/1.1\r\nhost: localhost\r\nx-slow: ");
    trickle(conn, "a");
    const res = await conn.response(HEADERS_MS + SLACK_MS + 1000);
    assert.equal(res?.status, 408);
    const body = JSON.parse(res?.body ?? "{}") as { error: { code: string; requestId: string } };
    assert.equal(body.error.code, "ERR_REQUEST_TIMEOUT");
    assert.equal(body.error.requestId, res?.headers["x-request-id"]);
    await conn.waitClosed(1500);
    assert.ok(Date.now() - started < HEADERS_MS + SLACK_MS + 1000, `took ${Date.now() - started} ms`);
  });

  test("a body sent a byte at a time: cut off after the request timeout", async () => {
    const conn = await open();
    const started = Date.now();
    conn.write(
      "POST /verify HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n{",
    );
    trickle(conn, " ");
    await conn.waitClosed(REQUEST_MS + SLACK_MS + 1000);
    assert.ok(Date.now() - started >= REQUEST_MS - 100, "not cut off before the timeout");
  });

  test("a connection that completes the handshake and sends nothing is closed", async () => {
    const conn = await open();
    await conn.waitClosed(HEADERS_MS + SLACK_MS + 1000);
  });

  test("an idle keep-alive connection is closed after the keep-alive timeout", async () => {
    const conn = await open();
    conn.write(rawGet("/keys"));
    assert.equal((await conn.response())?.status, 200);
    const idleSince = Date.now();
    await conn.waitClosed(KEEPALIVE_MS + SLACK_MS);
    assert.ok(Date.now() - idleSince >= KEEPALIVE_MS - 100);
  });

  test("a TCP connection that never starts TLS is closed after the handshake timeout", async () => {
    const url = new URL(fx.service.url);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), HEADERS_MS + SLACK_MS + 1000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.on("error", () => {});
    });
    socket.destroy();
    assert.ok(closed, "the server kept a silent TCP connection open");
  });

  test("while 40 slow clients hold connections, a normal client is served promptly", async () => {
    const slow = await Promise.all(Array.from({ length: 40 }, () => open()));
    for (const conn of slow) {
      conn.write("GET /keys HTTP/1.1\r\nhost: localhost\r\nx-slow: ");
      trickle(conn, "b");
    }
    const started = Date.now();
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex: "ab".repeat(32) },
    });
    assert.equal(res.status, 200);
    // Well before the slow clients are cut off (≈ HEADERS_MS + check interval): they do not block it.
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    await Promise.all(slow.map((c) => c.waitClosed(HEADERS_MS + SLACK_MS + 1000)));
  });
});
