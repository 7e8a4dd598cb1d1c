import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { request } from "undici";
import { bodyCorpus, rawCorpus } from "../helpers/hostile-corpus.js";
import { createSignerSetup, type SignerProcess, type SignerSetup } from "../helpers/process-fixture.js";
import { type RawResponse, RawTlsConnection } from "../helpers/raw-tls.js";
import { call, type JsonResponse } from "../helpers/tls-client.js";

const API_KEY = "SHARED_SECRET_CANARY_0123456789abcdef";
const WRONG_KEYS = [
  "WRONG_SECRET_CANARY_aaaaaaaaaaaaaaaa",
  "spk_0123456789abcdef_BEARER_SECRET_CANARY_xxxxxxxxxxxxxxxxxxxxxxx",
];
const LIMITS = { bodyLimit: 64 * 1024, canonicalMax: 8 * 1024 };
const ROUTES = ["/sign/hash", "/sign/canonical", "/sign/batch", "/verify"] as const;
const RUNS = 60;

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/** The A5 envelope, with requestId equal to the x-request-id header. */
function assertEnvelope(status: number, headers: Record<string, unknown>, text: string, what: string): void {
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  assert.match(String(body.error?.code), /^ERR_[A-Z_]+$/, `${what}: ${text}`);
  assert.equal(typeof body.error?.message, "string", what);
  assert.equal(body.error?.requestId, headers["x-request-id"], `${what}: requestId`);
  assert.ok(!/\bat .+:\d+:\d+/.test(text), `${what}: a stack trace reached the client`);
  assert.ok(status >= 400 && status < 500, `${what}: status ${status}`);
}

describe("hostile input against a running `signer serve` over mTLS", () => {
  let setup: SignerSetup;
  let proc: SignerProcess;
  let logs = "";
  let rssBefore = 0;
  let statuses: number[] = [];
  let creds: { ca: Buffer; cert: Buffer; key: Buffer };

  async function post(
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> {
    const res = await call(setup.agent(), `${proc.url}${path}`, {
      method: "POST",
      rawBody: body as string,
      headers: { "x-api-key": API_KEY, ...headers },
    });
    statuses.push(res.status);
    return res;
  }

  async function raw(bytes: string): Promise<RawResponse | null> {
    const conn = await RawTlsConnection.open(proc.url, creds);
    try {
      conn.write(bytes);
      return await conn.response(5000);
    } finally {
      conn.close();
    }
  }

  before(async () => {
    setup = await createSignerSetup();
    proc = await setup.start({
      SIGNING_PROXY_API_KEY: API_KEY,
      SIGNER_BODY_LIMIT_BYTES: String(LIMITS.bodyLimit),
      SIGNER_CANONICAL_MAX_BYTES: String(LIMITS.canonicalMax),
      SIGNER_CANONICAL_MAX_DEPTH: "16",
      SIGNER_HEADERS_TIMEOUT_MS: "2000",
      SIGNER_REQUEST_TIMEOUT_MS: "4000",
    });
    proc.child.stdout?.on("data", (c: Buffer) => {
      logs += c.toString("utf8");
    });
    proc.child.stderr?.on("data", (c: Buffer) => {
      logs += c.toString("utf8");
    });
    const certs = join(setup.dir, "certs");
    creds = {
      ca: setup.ca,
      cert: readFileSync(join(certs, "memory-layer.crt")),
      key: readFileSync(join(certs, "memory-layer.key")),
    };
    // Warm up (JIT, pools, first audit batches) before the memory baseline.
    for (let i = 0; i < 50; i++) await post("/sign/hash", JSON.stringify({ digestHex: "ab".repeat(32) }));
    rssBefore = rssBytes(proc.pid);
    statuses = [];
  });
  after(async () => setup.close());

  test("fixed corpus of bodies: each gets its 4xx with the error envelope", async () => {
    for (const c of bodyCorpus(LIMITS)) {
      const res = await post(c.path, c.body);
      assert.equal(res.status, c.status, `${c.name}: ${res.text.slice(0, 200)}`);
      assertEnvelope(res.status, res.headers, res.text, c.name);
    }
  });

  test("fixed corpus of protocol attacks and header injection: 4xx envelope, nothing injected", async () => {
    for (const c of rawCorpus(API_KEY)) {
      const res = await raw(c.bytes);
      assert.ok(res, `${c.name}: no response`);
      assert.equal(res.status, c.status, `${c.name}: ${res.body.slice(0, 200)}`);
      assertEnvelope(res.status, res.headers, res.body, c.name);
      assert.equal(res.headers["set-cookie"], undefined, c.name);
    }
    // A CRLF that splits into a valid second header is just another request header: never reflected.
    const split = await raw(
      "GET /keys HTTP/1.1\r\nhost: x\r\nx-api-key: " +
        API_KEY +
        "\r\nx-request-id: abc\r\nset-cookie: pwned=1\r\n\r\n",
    );
    assert.equal(split?.status, 200);
    assert.equal(split?.headers["set-cookie"], undefined);
  });

  test("property: any string as a body of any signing route is a 4xx with the envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.string({ unit: "binary", maxLength: 300 }),
        async (path, body) => {
          const res = await post(path, body);
          assertEnvelope(res.status, res.headers, res.text, `${path} ${JSON.stringify(body).slice(0, 80)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("property: any JSON value, and wrongly typed fields, never cause a 5xx", async () => {
    const anyField = fc.jsonValue({ maxDepth: 3 });
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({ digestHex: anyField, kid: anyField, context: anyField }, { requiredKeys: [] }),
      fc.record({
        payload: fc.jsonValue({ maxDepth: 20 }),
        kid: fc.constantFrom("k-sign", "k-audit", "nope"),
      }),
      fc.record({ items: fc.array(fc.record({ digestHex: anyField, kid: anyField }), { maxLength: 5 }) }),
      fc.record(
        { kid: anyField, signature: anyField, digestHex: anyField, payload: anyField },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, async (path, value) => {
        const res = await post(path, JSON.stringify(value));
        assert.ok(
          res.status < 500,
          `${path} ${JSON.stringify(value).slice(0, 120)} → ${res.status} ${res.text}`,
        );
        if (res.status >= 400) assertEnvelope(res.status, res.headers, res.text, path);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test("property: a digest of the wrong length or alphabet is always 400", async () => {
    const hex = fc.constantFrom(..."0123456789abcdefABCDEF");
    const badDigest = fc.oneof(
      fc.string({ unit: hex, maxLength: 130 }).filter((s) => s.length !== 64),
      fc
        .tuple(
          fc.string({ unit: hex, minLength: 63, maxLength: 63 }),
          fc.string({ minLength: 1, maxLength: 1 }),
          fc.nat(63),
        )
        .filter(([, c]) => !/[0-9a-fA-F]/.test(c))
        .map(([s, c, at]) => s.slice(0, at) + c + s.slice(at)),
    );
    await fc.assert(
      fc.asyncProperty(badDigest, async (digestHex) => {
        const res = await post("/sign/hash", JSON.stringify({ digestHex }));
        assert.equal(res.status, 400, `${digestHex}: ${res.text}`);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: a hostile x-request-id is replaced, never echoed", async () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 100,
    });
    await fc.assert(
      fc.asyncProperty(printable, async (id) => {
        const res = await call(setup.agent(), `${proc.url}/keys`, {
          headers: { "x-api-key": API_KEY, "x-request-id": id },
        });
        const echoed = res.headers["x-request-id"];
        assert.ok(
          echoed === id.trim()
            ? /^[A-Za-z0-9._:-]{1,64}$/.test(id.trim())
            : /^[0-9a-f-]{36}$/.test(String(echoed)),
          `${id} → ${echoed}`,
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("wrong credentials are refused and never logged", async () => {
    for (const key of WRONG_KEYS) {
      const res = await post("/sign/hash", JSON.stringify({ digestHex: "ab".repeat(32) }), {
        "x-api-key": key,
        authorization: `Bearer ${key}`,
      });
      assert.equal(res.status, 401);
    }
  });

  test("afterwards: zero 5xx, the process is alive and serving, memory bounded, no secret in any log line", async () => {
    assert.deepEqual(
      statuses.filter((s) => s >= 500),
      [],
    );
    assert.equal(proc.child.exitCode, null, "the process crashed");
    assert.equal((await request(`${proc.managementUrl}/healthz`)).statusCode, 200);
    const ok = await post("/sign/hash", JSON.stringify({ digestHex: "ab".repeat(32) }));
    assert.equal(ok.status, 200);
    const grown = rssBytes(proc.pid) - rssBefore;
    assert.ok(grown < 150 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MiB`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(logs.length > 1000, "the service logged the requests");
    for (const secret of [API_KEY, ...WRONG_KEYS, "PRIVATE KEY"])
      assert.ok(!logs.includes(secret), `${secret} leaked into the log`);
  });
});
