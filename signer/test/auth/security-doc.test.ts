import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ROLE_PERMISSIONS } from "../../src/auth/permissions.js";
import { MATRIX_MARKERS, renderMatrix } from "./authz-matrix.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const doc = readFileSync(`${root}docs/security.md`, "utf8");

test("docs/security.md prints exactly the authorization matrix the e2e test checks", () => {
  const start = doc.indexOf(MATRIX_MARKERS.start);
  const end = doc.indexOf(MATRIX_MARKERS.end);
  assert.ok(start >= 0 && end > start, "the matrix markers are missing");
  const printed = doc.slice(start + MATRIX_MARKERS.start.length, end).trim();
  assert.equal(
    printed,
    renderMatrix(),
    "docs/security.md is stale: paste renderMatrix() between the markers",
  );
});

test("docs/security.md lists each role's permissions as ROLE_PERMISSIONS grants them", () => {
  for (const [role, permissions] of Object.entries(ROLE_PERMISSIONS)) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${role}\` |`));
    assert.ok(row, `no row for ${role}`);
    if (role === "SuperAdmin" || role === "DivisionLead") continue;
    const listed = [...row.matchAll(/`([a-z]+:[a-z]+|verify)`/g)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), [...permissions].sort(), role);
  }
});

test("every test file docs/security.md names as a control's test exists", () => {
  const named = [...doc.matchAll(/`((?:signer\/)?test\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!);
  assert.ok(named.length >= 10);
  for (const path of named) assert.ok(existsSync(`${root}${path}`), `${path} does not exist`);
});
