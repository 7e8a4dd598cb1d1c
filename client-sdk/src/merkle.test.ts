import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from "./merkle.js";

// transparency-dev/merkle testdata (see ../shared/testdata/README.md).
const VECTORS = new URL("../../../shared/testdata/merkle/", import.meta.url).pathname;

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string | null;
  leafHash: string | null;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string | null;
  root2: string | null;
  proof: string[] | null;
  wantErr: boolean;
}

const b64 = (s: string | null): Buffer => Buffer.from(s ?? "", "base64");

function cases<T>(folder: string): { name: string; c: T }[] {
  return readdirSync(join(VECTORS, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ name, c: JSON.parse(readFileSync(join(VECTORS, folder, name), "utf8")) as T }));
}

describe("merkle vectors (transparency-dev)", () => {
  const inclusion = cases<InclusionCase>("inclusion");
  test(`inclusion: ${inclusion.length} cases, happy paths verify and mutations are rejected`, () => {
    assert.ok(inclusion.length > 50);
    for (const { name, c } of inclusion) {
      const ok = verifyInclusion(
        c.leafIdx,
        c.treeSize,
        b64(c.leafHash),
        (c.proof ?? []).map(b64),
        b64(c.root),
      );
      assert.equal(ok, !c.wantErr, name);
      if (name.endsWith("happy-path.json")) assert.equal(c.wantErr, false, name);
    }
  });

  const consistency = cases<ConsistencyCase>("consistency");
  test(`consistency: ${consistency.length} cases, happy paths verify and mutations are rejected`, () => {
    assert.ok(consistency.length > 50);
    for (const { name, c } of consistency) {
      const ok = verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(b64), b64(c.root1), b64(c.root2));
      assert.equal(ok, !c.wantErr, name);
      if (name.endsWith("happy-path.json")) assert.equal(c.wantErr, false, name);
    }
  });
});

describe("merkle hashing", () => {
  test("RFC 6962 reference tree of 8 leaves has the known root", () => {
    // The leaves of transparency-dev's reference tree (merkle/testonly): "", 0x00, 0x10, 0x2021, …
    const data = [
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
    ];
    const root = rootFromLeafHashes(data.map((h) => leafHash(Buffer.from(h, "hex"))));
    assert.equal(root.toString("base64"), "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");
  });

  test("malformed inputs are false, not exceptions", () => {
    const h = Buffer.alloc(32);
    assert.equal(verifyInclusion(-1, 1, h, [], h), false);
    assert.equal(verifyInclusion(0, 1, Buffer.alloc(31), [], Buffer.alloc(31)), false);
    assert.equal(verifyInclusion(0, 2 ** 60, h, [], h), false);
    assert.equal(verifyConsistency(2, 1, [], h, h), false);
    assert.equal(verifyConsistency(1, 2, [Buffer.alloc(33)], h, h), false);
  });
});
