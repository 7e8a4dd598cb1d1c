import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const SRC = new URL("../../src/", import.meta.url).pathname;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

describe("config is the only env reader", () => {
  // Settings read elsewhere would bypass validation, strict mode and secret handling.
  it("no module outside signer/src/config reads a process.env variable", () => {
    const offenders = sources(SRC)
      .filter((path) => !relative(SRC, path).startsWith("config/"))
      .filter((path) => /process\.env\s*(?:\.|\[|\?\.)/.test(readFileSync(path, "utf8")))
      .map((path) => relative(SRC, path));
    assert.deepEqual(offenders, []);
  });
});
