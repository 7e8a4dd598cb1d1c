import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createSignerSetup } from "../helpers/process-fixture.js";
import { RawTlsConnection } from "../helpers/raw-tls.js";

test("SIGTERM: stop accepting, finish the in-flight request and commit its audit event, exit 0", async () => {
  const setup = await createSignerSetup();
  try {
    const proc = await setup.start();
    const certs = join(setup.dir, "certs");
    const creds = {
      ca: setup.ca,
      cert: readFileSync(join(certs, "memory-layer.crt")),
      key: readFileSync(join(certs, "memory-layer.key")),
    };
    const conn = await RawTlsConnection.open(proc.url, creds);
    const body = JSON.stringify({ digestHex: "5a".repeat(32) });
    // The request is in flight: headers parsed, body still arriving when the signal comes.
    conn.write(
      `POST /sign/hash HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\nx-request-id: drain-1\r\n\r\n${body.slice(0, 20)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    const exited = proc.stop("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(proc.child.exitCode, null, "the process must wait for the in-flight request");
    // No new connections once draining has started.
    await assert.rejects(async () => {
      const late = await RawTlsConnection.open(proc.url, creds);
      late.close();
    });

    conn.write(body.slice(20));
    const res = await conn.response();
    assert.equal(res?.status, 200, res?.body);
    const signed = JSON.parse(res?.body ?? "{}") as { auditSeq: number; signature: string };
    assert.ok(signed.signature.length > 0);
    conn.close();

    const exit = await exited;
    assert.deepEqual(exit, { code: 0, signal: null }, proc.output());
    // The event the caller was promised (auditSeq) is durably in the log, sealed with its batch.
    const events = await setup.readEvents();
    const event = events.find((e) => e.requestId === "drain-1");
    assert.equal(event?.result, "ok");
    assert.equal(event?.seq, signed.auditSeq);
    assert.notEqual(events.at(-1)?.signature, null, "the log ends on a sealed event");
  } finally {
    await setup.close();
  }
});
