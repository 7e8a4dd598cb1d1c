import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.js";

/** One Dockerfile instruction: keyword, flags (`--from=build`), and the rest split as arguments. */
export interface Instruction {
  readonly keyword: string;
  readonly flags: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  /** The text after the keyword and flags (JSON form kept as written). */
  readonly raw: string;
}

/** One build stage. */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export const DOCKERFILE = join(ROOT, "deploy/Dockerfile");

/** Parse the Dockerfile into stages (line continuations joined, comments dropped). */
export function parseDockerfile(text = readFileSync(DOCKERFILE, "utf8")): Stage[] {
  const logical: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== "") logical.push(current.trim());
    current = "";
  }
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const flags: Record<string, string> = {};
    while (rest[0]?.startsWith("--")) {
      const [k, v = ""] = rest.shift()!.slice(2).split("=", 2);
      flags[k!] = v;
    }
    const raw = rest.join(" ");
    const args = raw.startsWith("[") ? (JSON.parse(raw) as string[]) : rest;
    const instruction = { keyword: keyword.toUpperCase(), flags, args, raw };
    if (instruction.keyword === "FROM") {
      stages.push({ from: args[0] ?? "", name: args[2], instructions: [] });
    } else if (instruction.keyword !== "ARG" || stages.length > 0) {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** Patterns of deploy/Dockerfile.dockerignore as regular expressions over context-relative paths. */
export function dockerignore(): RegExp[] {
  return readFileSync(join(ROOT, "deploy/Dockerfile.dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((pattern) => {
      const body = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "(?:.*/)?")
        .replace(/\*/g, "[^/]*");
      return new RegExp(`^${body}(?:/.*)?$`);
    });
}
