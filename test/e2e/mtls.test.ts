import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDevCa, issueClientCert } from "../../signer/src/certs/dev-pki.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call, tlsAgent } from "../helpers/tls-client.js";

const digestHex = "ab".repeat(32);

describe("main port: mutual TLS 1.3 is required", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx.close());

  test("a client with a certificate from the client CA and a known identity is served", async () => {
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, { body: { digestHex } });
    assert.equal(res.status, 200, res.text);
  });

  test("a client without a certificate cannot reach any route", async () => {
    const agent = tlsAgent({ ca: fx.ca });
    for (const path of ["/sign/hash", "/keys", "/openapi.json", "/no-such-route"]) {
      await assert.rejects(
        call(agent, `${fx.service.url}${path}`),
        `${path} must be refused at the handshake`,
      );
    }
    await agent.close();
  });

  test("a certificate from another CA is refused at the handshake", async () => {
    const otherCa = await createDevCa({ commonName: "Signing proxy dev CA" });
    const client = await issueClientCert(otherCa, { commonName: "memory-layer" });
    const agent = tlsAgent({ ca: fx.ca, cert: client.certPem, key: client.keyPem });
    await assert.rejects(call(agent, `${fx.service.url}/keys`));
    await agent.close();
  });

  test("a client offering at most TLS 1.2 is refused", async () => {
    const dir = join(fx.dir, "certs");
    const agent = tlsAgent({
      ca: fx.ca,
      cert: readFileSync(join(dir, "memory-layer.crt")),
      key: readFileSync(join(dir, "memory-layer.key")),
      maxVersion: "TLSv1.2",
    });
    await assert.rejects(call(agent, `${fx.service.url}/keys`));
    await agent.close();
  });

  test("a valid certificate whose identity is not a configured principal gets 401", async () => {
    const res = await call(fx.agent("stranger"), `${fx.service.url}/sign/hash`, { body: { digestHex } });
    assert.equal(res.status, 401);
    assert.equal((res.body as { error: { code: string } }).error.code, "ERR_UNAUTHENTICATED");
  });

  test("every response carries x-request-id; a plain caller id is echoed, a hostile one replaced", async () => {
    const agent = fx.agent("memory-layer");
    const ok = await call(agent, `${fx.service.url}/keys`, { headers: { "x-request-id": "trace-123" } });
    assert.equal(ok.headers["x-request-id"], "trace-123");
    const bad = await call(agent, `${fx.service.url}/keys`, { headers: { "x-request-id": "a b\tc{}" } });
    assert.match(String(bad.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });
});

describe("principals matched by SAN URI", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture({
      clients: ["alice-laptop=spiffe://ops/alice"],
      configPatch: {
        principals: [
          {
            id: "op-alice",
            match: { san_uri: "spiffe://ops/alice" },
            roles: ["SuperAdmin"],
            keys: ["k-ecdsa"],
          },
          { id: "memory-layer", match: { cn: "memory-layer" }, roles: ["service"], keys: ["k-ed25519"] },
        ],
      },
    });
  });
  after(async () => fx.close());

  test("a certificate whose SAN URI matches signs as that principal, with its keys only", async () => {
    const agent = fx.agent("alice-laptop");
    const ok = await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex, kid: "k-ecdsa" } });
    assert.equal(ok.status, 200, ok.text);
    const other = await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex, kid: "k-ed25519" } });
    assert.equal(other.status, 403);
  });
});

describe("SIGNING_PROXY_API_KEY as a second factor", () => {
  let fx: ServiceFixture;
  const apiKey = "k_test_0123456789abcdef0123456789";
  before(async () => {
    fx = await startFixture({ env: { SIGNING_PROXY_API_KEY: apiKey } });
  });
  after(async () => fx.close());

  test("a valid certificate without the API key is refused", async () => {
    const res = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, { body: { digestHex } });
    assert.equal(res.status, 401);
  });

  test("a wrong API key is refused, in either header", async () => {
    const agent = fx.agent("memory-layer");
    for (const headers of [{ "x-api-key": `${apiKey}x` }, { authorization: "Bearer nope" }]) {
      const res = await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex }, headers });
      assert.equal(res.status, 401);
    }
  });

  test("the right API key with the certificate is served (x-api-key or Bearer)", async () => {
    const agent = fx.agent("memory-layer");
    for (const headers of [{ "x-api-key": apiKey }, { authorization: `Bearer ${apiKey}` }]) {
      const res = await call(agent, `${fx.service.url}/sign/hash`, { body: { digestHex }, headers });
      assert.equal(res.status, 200, res.text);
    }
  });
});
