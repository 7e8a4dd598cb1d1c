#!/usr/bin/env node
// Runs every test suite with node:test through tsx. Node 20's --test does not expand globs,
// so the files are collected here. Arguments narrow the run to paths containing them.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = ["signer", "client-sdk", "memory-layer-adapter", "test"];
const skipDirs = new Set(["node_modules", "dist", "var", ".tmp"]);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
}

const files = [];
for (const r of roots) collect(join(root, r), files);
const filters = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  [
    "--conditions=source",
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    ...selected.sort(),
  ],
  { cwd: root, stdio: "inherit", env: process.env },
);
process.exit(result.status ?? 1);
