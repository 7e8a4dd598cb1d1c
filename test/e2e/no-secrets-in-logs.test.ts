import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../../signer/src/observability/logger.js";
import { startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

test("a service's logs carry no API key, key material or HMAC secret, even at debug level", async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const apiKey = "k_shared_SECRET_0123456789abcdef";
  const fx = await startFixture({
    env: { SIGNING_PROXY_API_KEY: apiKey },
    logger: createLogger("trace", stream),
  });
  try {
    const agent = fx.agent("memory-layer");
    const url = `${fx.service.url}/sign/hash`;
    await call(agent, url, {
      body: { digestHex: "ab".repeat(32) },
      headers: { authorization: `Bearer ${apiKey}` },
    });
    await call(agent, url, {
      body: { digestHex: "ab".repeat(32) },
      headers: { "x-api-key": "wrong_SECRET_guess_123" },
    });
    await call(agent, url, { rawBody: '{"digestHex":', headers: { "x-api-key": apiKey } });
    await call(agent, url, {
      body: { digestHex: "ab".repeat(32), kid: "k-hmac" },
      headers: { "x-api-key": apiKey },
    });
  } finally {
    await fx.close();
  }
  const out = lines.join("");
  assert.ok(out.length > 0, "something was logged");
  assert.ok(!out.includes(apiKey), "the API key leaked");
  assert.ok(!out.includes("wrong_SECRET_guess_123"), "a presented API key leaked");
  assert.ok(
    !out.includes(fx.hmacSecret.toString("hex")) && !out.includes(fx.hmacSecret.toString("base64")),
    "HMAC secret leaked",
  );
  assert.doesNotMatch(out, /PRIVATE KEY/);
});
