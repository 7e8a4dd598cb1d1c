import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ERROR_DESCRIPTIONS, ERROR_STATUS, SignerError } from "../src/errors.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

test("every error code is documented in docs/errors.md with its status", () => {
  const documented = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)) documented.set(m[1]!, Number(m[2]));
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_STATUS).sort());
  for (const [code, status] of Object.entries(ERROR_STATUS)) assert.equal(documented.get(code), status, code);
});

test("every code has a description, and 503 errors carry Retry-After", () => {
  for (const code of Object.keys(ERROR_STATUS) as Array<keyof typeof ERROR_STATUS>) {
    assert.ok(ERROR_DESCRIPTIONS[code].length > 10, code);
    const err = new SignerError(code, "x");
    assert.equal(err.status, ERROR_STATUS[code]);
    if (err.status === 503) assert.equal(err.retryAfterSeconds, 1);
  }
});
