import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runSigner } from "../helpers/cli.js";

const DOCS = [
  ...readdirSync(join(ROOT, "docs/runbooks")).map((f) => `docs/runbooks/${f}`),
  "docs/operations.md",
];

/** One `signer …` invocation found in a fenced shell block. */
interface Invocation {
  readonly file: string;
  readonly argv: readonly string[];
}

/** `signer` invocations of every fenced sh/bash/console block (after `kubectl exec … --`, in pipelines). */
function invocations(file: string): Invocation[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const found: Invocation[] = [];
  for (const block of text.matchAll(/```(?:sh|bash|console|shell)\n([\s\S]*?)```/g)) {
    const script = block[1]!.replace(/\\\n\s*/g, " ");
    for (const line of script.split("\n")) {
      for (const segment of line.replace(/^\s*\$ /, "").split(/\|\||&&|[|;]/)) {
        const words = segment.trim().split(/\s+/);
        const dash = words.indexOf("--");
        const rest = words[0] === "kubectl" && dash >= 0 ? words.slice(dash + 1) : words;
        while (rest.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(rest[0]!)) rest.shift();
        if (rest[0] === "signer") found.push({ file, argv: rest.slice(1) });
      }
    }
  }
  return found;
}

const all = DOCS.flatMap(invocations);
const helpCache = new Map<string, { status: number | null; text: string }>();
function help(command: string): { status: number | null; text: string } {
  let h = helpCache.get(command);
  if (!h) {
    const r = runSigner([command, "--help"], {});
    h = { status: r.status, text: r.stdout };
    helpCache.set(command, h);
  }
  return h;
}

describe("runbook commands are real `signer` commands", () => {
  test("the runbooks use the CLI (extraction finds the commands)", () => {
    assert.ok(all.length >= 15, `found ${all.length}`);
    for (const c of ["audit verify", "audit export", "keys list", "keys generate"]) {
      assert.ok(
        all.some((i) => i.argv.join(" ").startsWith(c)),
        `some runbook runs signer ${c}`,
      );
    }
  });

  const commands = [...new Set(all.map((i) => i.argv[0] ?? ""))];
  for (const command of commands) {
    test(`signer ${command}: exists, and every action and flag used is in its --help`, () => {
      const h = help(command);
      assert.equal(h.status, 0, `signer ${command} --help`);
      for (const { file, argv } of all.filter((i) => i.argv[0] === command)) {
        const action = argv[1];
        if (action !== undefined && /^[a-z][a-z-]*$/.test(action)) {
          assert.match(
            h.text,
            new RegExp(`signer ${command} ${action}\\b`),
            `${file}: signer ${command} ${action}`,
          );
        }
        for (const flag of argv.filter((a) => a.startsWith("--"))) {
          const name = flag.split("=")[0]!;
          assert.ok(h.text.includes(name), `${file}: signer ${argv.join(" ")}: ${name} is not in --help`);
        }
      }
    });
  }

  test("an invented command or flag is caught (the check is not vacuous)", () => {
    assert.notEqual(help("frobnicate").status, 0);
    assert.ok(!help("audit").text.includes("--force-accept"));
  });
});
