import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { Secret } from "../../src/config/secret.js";
import { createLogger } from "../../src/observability/logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger("debug", stream) };
}

test("credentials in headers and well-known secret fields are redacted", () => {
  const { lines, logger } = capture();
  logger.info(
    { req: { headers: { authorization: "Bearer sk_live_1", "x-api-key": "sk_live_2" } } },
    "request",
  );
  logger.info({
    apiKey: "sk_live_3",
    secret: "sk_live_4",
    pin: "1234",
    password: "pw-5",
    nested: { privateKey: "sk_live_6" },
  });
  const out = lines.join("");
  for (const s of ["sk_live_1", "sk_live_2", "sk_live_3", "sk_live_4", "1234", "pw-5", "sk_live_6"]) {
    assert.ok(!out.includes(s), `${s} leaked`);
  }
  assert.ok(out.includes("[redacted]"));
});

test("a Secret prints as [redacted] however it is logged", () => {
  const { lines, logger } = capture();
  const secret = new Secret("hunter2-very-secret");
  logger.info({ config: { databaseUrl: secret, other: secret } }, `value ${secret}`);
  const out = lines.join("");
  assert.ok(!out.includes("hunter2"));
  assert.equal(JSON.stringify({ s: secret }), '{"s":"[redacted]"}');
  assert.equal(secret.revealText(), "hunter2-very-secret");
});
