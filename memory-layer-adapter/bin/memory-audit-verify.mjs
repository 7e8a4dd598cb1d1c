#!/usr/bin/env node
// The `memory-audit-verify` CLI. Runs the compiled build when present, else the TypeScript sources
// through tsx (a source checkout after `npm install`).
import { existsSync } from "node:fs";

const dist = new URL("../dist/cli-main.js", import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli-main.ts", import.meta.url).href);
}
