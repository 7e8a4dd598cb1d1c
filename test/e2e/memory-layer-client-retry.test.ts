// The SDK client against a scripted mTLS server: which failures are retried, how often, how long it
// waits, and what reaches the caller. The real proxy is in memory-layer-client.test.ts.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  SigningProxyClient,
  type SigningProxyClientOptions,
  SigningProxyError,
} from "@signing-proxy/client-sdk";
import { writeDevCerts } from "../../signer/src/certs/write-dev-certs.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly headers: IncomingMessage["headers"];
  readonly at: number;
}

const digestHex = randomBytes(32).toString("hex");
const signed = (d = digestHex) => ({
  kid: "k",
  alg: "ed25519",
  signature: Buffer.alloc(64).toString("base64"),
  digestHex: d,
  signedAt: new Date().toISOString(),
  auditSeq: 1,
});
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req-1", ...headers });
  res.end(JSON.stringify(body));
};
const envelope = (code: string) => ({ error: { code, message: `${code} happened`, requestId: "req-env" } });

describe("SigningProxyClient retries and errors", { timeout: 30_000 }, () => {
  let dir: string;
  let server: Server;
  let url: string;
  let tls: Pick<SigningProxyClientOptions, "ca" | "cert" | "key">;
  let script: Handler[] = [];
  let seen: Seen[] = [];
  const clients: SigningProxyClient[] = [];
  const client = (extra: Partial<SigningProxyClientOptions> = {}) => {
    const c = new SigningProxyClient({
      url,
      ...tls,
      retries: { retries: 2, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 300 },
      timeoutMs: 2000,
      ...extra,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sdk-retry-"));
    const certs = await writeDevCerts(join(dir, "certs"), { clients: [{ cn: "memory-layer" }] });
    const paths = certs.clients["memory-layer"]!;
    tls = { ca: readFileSync(certs.caCert), cert: readFileSync(paths.cert), key: readFileSync(paths.key) };
    server = createServer(
      {
        cert: readFileSync(certs.serverCert),
        key: readFileSync(certs.serverKey),
        ca: readFileSync(certs.caCert),
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.3",
      },
      (req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => {
          body += c.toString("utf8");
        });
        req.on("end", () => {
          seen.push({
            method: req.method ?? "",
            url: req.url ?? "",
            body,
            headers: req.headers,
            at: Date.now(),
          });
          const next = script.shift() ?? ((_q, _b, r) => json(r, 500, envelope("ERR_INTERNAL")));
          next(req, body, res);
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    script = [];
    seen = [];
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test("503 with Retry-After is retried after the server's delay; the caller gets the result", async () => {
    script = [(_q, _b, r) => json(r, 503, envelope("ERR_AUDIT_UNAVAILABLE"), { "retry-after": "0" })];
    script.push((_q, _b, r) => json(r, 503, envelope("ERR_BACKEND_UNAVAILABLE"), { "retry-after": "1" }));
    script.push((_q, _b, r) => json(r, 200, signed()));
    const result = await client().signHash({ digestHex });
    assert.equal(result.digestHex, digestHex);
    assert.equal(seen.length, 3);
    const waited = seen[2]!.at - seen[1]!.at;
    // Retry-After: 1 s is capped at maxRetryAfterMs (300 ms): at least that long, not the full second.
    assert.ok(waited >= 290 && waited < 900, `waited ${waited} ms`);
  });

  test("429 is retried; attempts are bounded and the last error carries code, status, requestId, attempts", async () => {
    script = Array.from(
      { length: 5 },
      () => (_q: IncomingMessage, _b: string, r: ServerResponse) =>
        json(r, 429, envelope("ERR_RATE_LIMITED"), { "retry-after": "0" }),
    );
    const err = await client()
      .signHash({ digestHex })
      .catch((e: unknown) => e);
    assert.ok(err instanceof SigningProxyError);
    assert.equal(err.code, "ERR_RATE_LIMITED");
    assert.equal(err.status, 429);
    assert.equal(err.requestId, "req-env");
    assert.equal(err.retryAfterMs, 0);
    assert.equal(err.attempts, 3);
    assert.equal(seen.length, 3, "retries: 2 means three attempts in all");
  });

  test("4xx and 500 answers are final: one attempt, the server's code", async () => {
    for (const [status, code] of [
      [400, "ERR_VALIDATION"],
      [403, "ERR_FORBIDDEN"],
      [409, "ERR_CONFLICT"],
      [500, "ERR_INTERNAL"],
    ] as const) {
      seen = [];
      script = [(_q, _b, r) => json(r, status, envelope(code))];
      await assert.rejects(client().signHash({ digestHex }), (e: unknown) => {
        assert.ok(e instanceof SigningProxyError);
        assert.equal(e.code, code);
        assert.equal(e.status, status);
        assert.equal(e.attempts, 1);
        return true;
      });
      assert.equal(seen.length, 1, code);
    }
  });

  test("a reset after the request arrived: retried for signing, not for a multisig proposal", async () => {
    const reset: Handler = (q) => q.socket.destroy();
    script = [reset, (_q, _b, r) => json(r, 200, signed())];
    assert.equal((await client().signHash({ digestHex })).digestHex, digestHex);
    assert.equal(seen.length, 2, "a repeated sign just signs again");

    seen = [];
    script = [reset, (_q, _b, r) => json(r, 201, { id: "p1" })];
    const manifest = { type: "upgrade", target: "svc", version: 2, expires: "2030-01-01T00:00:00Z" } as const;
    await assert.rejects(client().multisigPropose({ policy: "upgrades", manifest }), (e: unknown) => {
      assert.ok(e instanceof SigningProxyError);
      assert.equal(e.code, "ERR_CONNECTION");
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.equal(seen.length, 1, "a repeated proposal would create a second one");
  });

  test("connection refused (nothing sent) is retried on every route, then ERR_CONNECTION", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const c = client({ url: `https://localhost:${port}` });
    const manifest = { type: "upgrade", target: "svc", version: 2, expires: "2030-01-01T00:00:00Z" } as const;
    for (const call of [
      () => c.signHash({ digestHex }),
      () => c.multisigPropose({ policy: "p", manifest }),
    ]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof SigningProxyError);
        assert.equal(e.code, "ERR_CONNECTION");
        assert.equal(e.status, undefined);
        assert.equal(e.attempts, 3);
        assert.match(e.message, /ECONNREFUSED/);
        return true;
      });
    }
  });

  test("no answer within timeoutMs: ERR_TIMEOUT after the bounded attempts", async () => {
    script = [() => {}, () => {}];
    const started = Date.now();
    await assert.rejects(client({ timeoutMs: 150, retries: 1 }).auditHead(), (e: unknown) => {
      assert.ok(e instanceof SigningProxyError);
      assert.equal(e.code, "ERR_TIMEOUT");
      assert.equal(e.attempts, 2);
      return true;
    });
    assert.ok(Date.now() - started < 1500);
  });

  test("answers that are not the contract are ERR_UNEXPECTED_RESPONSE, never trusted", async () => {
    script = [
      (_q, _b, r) => {
        r.writeHead(502, { "content-type": "text/html" });
        r.end("<html>bad gateway</html>");
      },
    ];
    await assert.rejects(client().getKeys(), { code: "ERR_UNEXPECTED_RESPONSE", status: 502 });
    script = [(_q, _b, r) => json(r, 200, signed("00".repeat(32)))];
    await assert.rejects(client().signHash({ digestHex }), { code: "ERR_UNEXPECTED_RESPONSE" });
    script = [(_q, _b, r) => json(r, 200, { signers: "no" })];
    await assert.rejects(client().getKeys(), { code: "ERR_UNEXPECTED_RESPONSE" });
    script = [(_q, _b, r) => json(r, 200, { results: [signed()] })];
    await assert.rejects(client().signBatch([{ digestHex }, { digestHex }]), {
      code: "ERR_UNEXPECTED_RESPONSE",
    });
  });

  test("every route: method, path, body and the x-api-key header", async () => {
    const c = client({ apiKey: "sekret" });
    const ok: Handler = (_q, b, r) => json(r, 200, b === "" ? {} : { echo: JSON.parse(b) });
    const manifest = {
      type: "rollback",
      target: "svc",
      version: 3,
      expires: "2030-01-01T00:00:00Z",
      rollbackTo: 1,
    } as const;
    const proof = { policy: "p", digestHex, threshold: 3, signatures: [], manifest };
    const calls: Array<[() => Promise<unknown>, string, string, unknown]> = [
      [
        () => c.verify({ kid: "k", signature: "AA==", digestHex }),
        "POST",
        "/verify",
        { kid: "k", signature: "AA==", digestHex },
      ],
      [() => c.getKey("a/b"), "GET", "/keys/a%2Fb", undefined],
      [() => c.getJwks(), "GET", "/.well-known/jwks.json", undefined],
      [() => c.auditHead(), "GET", "/audit/head", undefined],
      [() => c.auditEvents({ fromSeq: 5, limit: 10 }), "GET", "/audit/events?fromSeq=5&limit=10", undefined],
      [
        () => c.multisigPropose({ policy: "p", manifest }),
        "POST",
        "/multisig/proposals",
        { policy: "p", manifest },
      ],
      [() => c.multisigGet("id 1"), "GET", "/multisig/proposals/id%201", undefined],
      [() => c.multisigApprove("x", { kid: "op" }), "POST", "/multisig/proposals/x/approvals", { kid: "op" }],
      [() => c.multisigProof("x"), "GET", "/multisig/proposals/x/proof", undefined],
      [() => c.multisigVerify(proof), "POST", "/multisig/verify", { proof }],
    ];
    for (const [call, method, path, body] of calls) {
      seen = [];
      script = [ok];
      await call();
      assert.equal(seen[0]?.method, method);
      assert.equal(seen[0]?.url, path);
      assert.deepEqual(seen[0]?.body === "" ? undefined : JSON.parse(seen[0]?.body ?? ""), body);
      assert.equal(seen[0]?.headers["x-api-key"], "sekret");
    }
  });

  test("caller mistakes are refused before any request; a closed client says so", async () => {
    const c = client();
    await assert.rejects(c.signHash({ digestHex: "xyz" }), TypeError);
    await assert.rejects(c.signCanonical({ payload: { a: Number.NaN } }), { name: "CanonicalizationError" });
    await assert.rejects(c.auditEvents({ limit: -1 }), RangeError);
    assert.equal(seen.length, 0);
    assert.throws(() => new SigningProxyClient({ url: "http://localhost:1", ...tls }), TypeError);
    await c.close();
    await assert.rejects(c.getKeys(), { code: "ERR_CLIENT_CLOSED" });
  });
});
