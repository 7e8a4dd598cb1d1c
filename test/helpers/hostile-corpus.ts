/** Fixed hostile inputs for test/e2e/hostile-input.test.ts. Each must get a 4xx with the error envelope. */

const HEX = "ab".repeat(32);

/** A body POSTed as application/json, with the status it must get. */
export interface BodyCase {
  readonly name: string;
  readonly path: string;
  readonly body: string | Buffer;
  readonly status: number;
}

/** Raw bytes written after the TLS handshake, with the status (or status class) they must get. */
export interface RawCase {
  readonly name: string;
  readonly bytes: string;
  readonly status: number;
}

/** Bodies: malformed JSON, wrong types, bad digests, duplicates, surrogates, depth, size, unknown kids. */
export function bodyCorpus(limits: { bodyLimit: number; canonicalMax: number }): BodyCase[] {
  const hash = (body: string | Buffer, status = 400, name = String(body).slice(0, 40)): BodyCase => ({
    name,
    path: "/sign/hash",
    body,
    status,
  });
  const canonical = (body: string, status: number, name: string): BodyCase => ({
    name,
    path: "/sign/canonical",
    body,
    status,
  });
  return [
    hash("", 400, "empty body"),
    hash(`{"digestHex":"${HEX.slice(0, 20)}`, 400, "truncated JSON"),
    hash(`{"digestHex":"${HEX}"`, 400, "missing closing brace"),
    hash("null"),
    hash("[]"),
    hash('"digestHex"'),
    hash("1e999999"),
    hash("true"),
    hash('{"digestHex":123}'),
    hash('{"digestHex":null}'),
    hash('{"digestHex":["ab"]}'),
    hash(`{"digestHex":{"$gt":""}}`),
    hash('{"digestHex":123456789012345678901234567890123456789}', 400, "big number digest"),
    hash(`{"digestHex":"${"z".repeat(64)}"}`, 400, "non-hex digest"),
    hash(`{"digestHex":"${HEX.slice(0, 62)}"}`, 400, "31-byte digest"),
    hash(`{"digestHex":"${HEX}ab"}`, 400, "33-byte digest"),
    hash(`{"digestHex":" ${HEX.slice(1)}"}`, 400, "digest with a space"),
    hash(`{"digestHex":"${HEX.slice(0, 62)}\\u0000a"}`, 400, "digest with NUL"),
    hash(`{"digestHex":"${HEX}","digestHex":"${"cd".repeat(32)}"}`, 400, "duplicate key"),
    hash(`{"digestHex":"${HEX}","kid":"k-nope"}`, 403, "unknown kid (not enumerable: 403)"),
    hash(`{"digestHex":"${HEX}","kid":"../../etc/passwd"}`, 400, "path-like kid"),
    hash(`{"digestHex":"${HEX}","kid":"${"k".repeat(200)}"}`, 400, "overlong kid"),
    hash(`{"digestHex":"${HEX}","kid":1e400}`, 400, "kid out of range number"),
    hash(`{"digestHex":"${HEX}","admin":true}`, 400, "unknown field"),
    hash(`{"__proto__":{"admin":true},"digestHex":"${HEX}"}`, 400, "__proto__ key"),
    hash(`{"digestHex":"${HEX}","context":{"a":{"b":1}}}`, 400, "nested context"),
    hash(`{"digestHex":"\\ud800${HEX.slice(1)}"}`, 400, "lone surrogate in digest"),
    hash(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 400, "invalid UTF-8"),
    hash(`{"digestHex":"${HEX}"}${" ".repeat(10)}{}`, 400, "trailing garbage"),
    hash(`${"[".repeat(20_000)}${"]".repeat(20_000)}`, 400, "deeply nested arrays"),
    hash(`${`{"a":`.repeat(5000)}1${"}".repeat(5000)}`, 400, "deeply nested objects"),
    hash(`{"digestHex":"${"a".repeat(limits.bodyLimit)}"}`, 413, "oversized body"),
    canonical('{"payload":"\\ud800"}', 400, "lone surrogate in payload"),
    canonical('{"payload":"\\udc00x"}', 400, "lone low surrogate"),
    canonical('{"payload":{"a":1,"a":2}}', 400, "duplicate key in payload"),
    canonical('{"payload":1e400}', 400, "non-finite number"),
    canonical('{"payload":-1e400}', 400, "negative non-finite number"),
    canonical(`{"payload":${"[".repeat(100)}${"]".repeat(100)}}`, 400, "payload deeper than the limit"),
    canonical(`{"payload":"${"x".repeat(limits.canonicalMax)}"}`, 413, "payload above the canonical limit"),
    canonical('{"kid":"k-sign"}', 400, "missing payload"),
    { name: "batch without items", path: "/sign/batch", body: '{"items":[]}', status: 400 },
    { name: "batch of junk", path: "/sign/batch", body: '{"items":[1,"a",null]}', status: 400 },
    {
      name: "verify with both inputs",
      path: "/verify",
      body: `{"kid":"k-sign","signature":"AAAA","digestHex":"${HEX}","payload":1}`,
      status: 400,
    },
    {
      name: "verify with bad base64",
      path: "/verify",
      body: `{"kid":"k-sign","signature":"%%%","digestHex":"${HEX}"}`,
      status: 400,
    },
    {
      name: "verify unknown kid",
      path: "/verify",
      body: `{"kid":"k-none","signature":"AAAA","digestHex":"${HEX}"}`,
      status: 404,
    },
  ];
}

const CRLF = "\r\n";
const line = (...parts: string[]) => parts.join(CRLF);

/** Protocol-level inputs Node's parser must refuse, and header injection attempts. `apiKey` authenticates. */
export function rawCorpus(apiKey: string): RawCase[] {
  const auth = `x-api-key: ${apiKey}`;
  const body = `{"digestHex":"${HEX}"}`;
  return [
    {
      name: "CR in a header value",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, "x-request-id: a\rb", "", ""),
      status: 400,
    },
    {
      name: "LF in a header value",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, "x-request-id: a\nb: c", "", ""),
      status: 400,
    },
    {
      name: "NUL in a header value",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, "x-request-id: a\0b", "", ""),
      status: 400,
    },
    {
      name: "obsolete line folding",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, "x-a: b", " folded", "", ""),
      status: 400,
    },
    {
      name: "space before colon",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, "x-a : b", "", ""),
      status: 400,
    },
    {
      name: "Content-Length with Transfer-Encoding (smuggling)",
      bytes: line(
        "POST /sign/hash HTTP/1.1",
        "host: x",
        auth,
        "content-type: application/json",
        `content-length: ${body.length}`,
        "transfer-encoding: chunked",
        "",
        body,
      ),
      status: 400,
    },
    {
      name: "two different Content-Lengths",
      bytes: line(
        "POST /sign/hash HTTP/1.1",
        "host: x",
        auth,
        "content-type: application/json",
        "content-length: 3",
        "content-length: 4",
        "",
        body,
      ),
      status: 400,
    },
    {
      name: "non-numeric Content-Length",
      bytes: line("POST /sign/hash HTTP/1.1", "host: x", auth, "content-length: abc", "", ""),
      status: 400,
    },
    {
      name: "bad chunk size",
      bytes: line(
        "POST /sign/hash HTTP/1.1",
        "host: x",
        auth,
        "content-type: application/json",
        "transfer-encoding: chunked",
        "",
        "zz",
        body,
        "0",
        "",
        "",
      ),
      status: 400,
    },
    { name: "garbage request line", bytes: line("GARBAGE", "", ""), status: 400 },
    // llhttp reads it as a request without headers, so it carries no API key.
    { name: "HTTP/0.9-style request", bytes: line("GET /keys", "", ""), status: 401 },
    {
      name: "oversized header",
      bytes: line("GET /keys HTTP/1.1", "host: x", auth, `x-big: ${"a".repeat(20_000)}`, "", ""),
      status: 431,
    },
    {
      name: "oversized URL",
      bytes: line(`GET /${"a".repeat(20_000)} HTTP/1.1`, "host: x", auth, "", ""),
      status: 431,
    },
    {
      name: "text/plain body",
      bytes: line(
        "POST /sign/hash HTTP/1.1",
        "host: x",
        auth,
        "content-type: text/plain",
        `content-length: ${body.length}`,
        "",
        body,
      ),
      status: 415,
    },
    {
      name: "encoded CRLF in the path",
      bytes: line("GET /keys%0d%0aset-cookie:%20a=b HTTP/1.1", "host: x", auth, "", ""),
      status: 404,
    },
  ];
}
