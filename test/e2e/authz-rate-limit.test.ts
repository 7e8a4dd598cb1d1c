import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RawTlsConnection } from "../helpers/raw-tls.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

const digestHex = "12".repeat(32);

describe("rate limits per principal and route; concurrency cap", () => {
  let fx: ServiceFixture;
  const code = (res: { body: unknown }) => (res.body as { error?: { code: string } }).error?.code;

  before(async () => {
    fx = await startFixture({
      env: { SIGNER_MAX_INFLIGHT: "2" },
      configPatch: {
        principals: [
          {
            id: "memory-layer",
            match: { cn: "memory-layer" },
            roles: ["service"],
            keys: ["k-ed25519"],
            rateLimit: { max: 3, windowMs: 60_000 },
          },
          { id: "auditor", match: { cn: "auditor" }, roles: ["Auditor"], keys: [] },
        ],
      },
    });
  });
  after(async () => fx.close());

  test("beyond `rateLimit.max` in its window a principal gets 429 ERR_RATE_LIMITED with Retry-After", async () => {
    const agent = fx.agent("memory-layer");
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal(code(last!), "ERR_RATE_LIMITED");
    const retryAfter = Number(last!.headers["retry-after"]);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  });

  test("the limit is per route (another route still answers) and per principal (others unaffected)", async () => {
    assert.equal((await call(fx.agent("memory-layer"), `${fx.service.url}/keys`)).status, 200);
    for (let i = 0; i < 5; i++) {
      assert.equal((await call(fx.agent("auditor"), `${fx.service.url}/keys`)).status, 200);
    }
  });

  test("at SIGNER_MAX_INFLIGHT requests in progress, the next gets 503 ERR_OVERLOADED at once; then service resumes", async () => {
    const certs = join(fx.dir, "certs");
    const creds = {
      ca: fx.ca,
      cert: readFileSync(join(certs, "auditor.crt")),
      key: readFileSync(join(certs, "auditor.key")),
    };
    const body = JSON.stringify({ kid: "k-ed25519", signature: "AAAA", digestHex });
    // Two requests whose bodies are only half sent hold both in-flight slots.
    const held = await Promise.all([0, 1].map(() => RawTlsConnection.open(fx.service.url, creds)));
    for (const c of held) {
      c.write(
        `POST /verify HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const shed = await call(fx.agent("auditor"), `${fx.service.url}/keys`);
    assert.equal(shed.status, 503);
    assert.equal(code(shed), "ERR_OVERLOADED");
    assert.equal(shed.headers["retry-after"], "1");
    // The held requests would keep their slots until the 30 s request timeout: any quick answer is a shed.
    assert.ok(Date.now() - started < 5000, "shedding is immediate, not queued");
    for (const c of held) c.write(body.slice(10));
    const done = await Promise.all(held.map((c) => c.response()));
    assert.deepEqual(
      done.map((r) => r?.status),
      [200, 200],
    );
    for (const c of held) c.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await call(fx.agent("auditor"), `${fx.service.url}/keys`)).status, 200);
  });
});
