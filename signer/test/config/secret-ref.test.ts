import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveSecret } from "../../src/config/secret-ref.js";
import { configError, load, memFiles } from "./helpers.js";

const files = memFiles({
  "/run/secrets/text": "s3cret-text\n",
  "/run/secrets/crlf": "s3cret-crlf\r\n",
  "/run/secrets/two": "s3cret-two\n\n",
  "/run/secrets/bin": Buffer.from([1, 2, 0x0a]),
  "/run/secrets/empty": "",
});

describe("resolveSecret", () => {
  it("takes a plain value literally", () => {
    assert.equal(resolveSecret("literal-value", {}, files, { name: "X" }).revealText(), "literal-value");
  });

  it("file: reads the file and drops one trailing newline from text secrets", () => {
    assert.equal(
      resolveSecret("file:/run/secrets/text", {}, files, { name: "X" }).revealText(),
      "s3cret-text",
    );
    assert.equal(
      resolveSecret("file:/run/secrets/crlf", {}, files, { name: "X" }).revealText(),
      "s3cret-crlf",
    );
    assert.equal(
      resolveSecret("file:/run/secrets/two", {}, files, { name: "X" }).revealText(),
      "s3cret-two\n",
    );
  });

  it("file: keeps binary secrets byte for byte", () => {
    const secret = resolveSecret("file:/run/secrets/bin", {}, files, { name: "X", binary: true });
    assert.deepEqual([...secret.reveal()], [1, 2, 0x0a]);
  });

  it("env: reads the named variable, one level only", () => {
    const env = { OTHER: "env:THIRD", THIRD: "no" };
    assert.equal(resolveSecret("env:OTHER", env, files, { name: "X" }).revealText(), "env:THIRD");
  });

  it("a missing file names the setting and the reference", () => {
    const err = configError(() =>
      resolveSecret("file:/run/secrets/nope", {}, files, { name: "DATABASE_URL" }),
    );
    assert.equal(err.message, "DATABASE_URL: cannot read file:/run/secrets/nope (ENOENT)");
  });

  it("a missing variable names the setting and the variable", () => {
    const err = configError(() => resolveSecret("env:NOT_SET", {}, files, { name: "SIGNING_PROXY_API_KEY" }));
    assert.equal(
      err.message,
      "SIGNING_PROXY_API_KEY: env:NOT_SET refers to variable NOT_SET, which is not set",
    );
  });

  it("refuses empty secrets and malformed references", () => {
    assert.match(
      configError(() => resolveSecret("file:/run/secrets/empty", {}, files, { name: "X" })).message,
      /^X: the secret is empty/,
    );
    assert.match(
      configError(() => resolveSecret("file:", {}, files, { name: "X" })).message,
      /^X: file: reference without a path/,
    );
    assert.match(
      configError(() => resolveSecret("env:1BAD", {}, files, { name: "X" })).message,
      /^X: env: reference/,
    );
  });
});

describe("secret references through loadConfig", () => {
  it("DATABASE_URL=file: and SIGNING_PROXY_API_KEY=env: are resolved into Secrets", () => {
    const config = load(
      {
        DATABASE_URL: "file:/run/secrets/db",
        SIGNING_PROXY_API_KEY: "env:API_KEY",
        API_KEY: "0123456789abcdef-key",
      },
      { "/run/secrets/db": "postgres://u:p@db/signer\n" },
    );
    assert.equal(config.databaseUrl?.revealText(), "postgres://u:p@db/signer");
    assert.equal(config.apiKey?.revealText(), "0123456789abcdef-key");
  });

  it("AUDIT_SIGNING_KEY=file: is an HMAC secret read byte for byte", () => {
    const raw = Buffer.alloc(32, 0x0a);
    const config = load({ AUDIT_SIGNING_KEY: "file:/run/secrets/hmac" }, { "/run/secrets/hmac": raw });
    assert.deepEqual(config.keys[0]?.secret?.reveal(), raw);
  });

  it("errors name the variable and reference, never a secret value", () => {
    const missingFile = configError(() => load({ DATABASE_URL: "file:/run/secrets/missing" }));
    assert.equal(missingFile.message, "DATABASE_URL: cannot read file:/run/secrets/missing (ENOENT)");
    const missingVar = configError(() => load({ AUDIT_SIGNING_SECRET: "env:HMAC" }));
    assert.equal(
      missingVar.message,
      "AUDIT_SIGNING_SECRET: env:HMAC refers to variable HMAC, which is not set",
    );
    const tooShort = configError(() => load({ AUDIT_SIGNING_KEY: "env:HMAC", HMAC: "short-hmac-value" }));
    assert.match(tooShort.message, /^AUDIT_SIGNING_KEY: an hmac-sha256 secret must be at least 32 bytes$/);
    assert.ok(!tooShort.message.includes("short-hmac-value"));
  });
});
