import type { z } from "zod";

/**
 * Messages for schema issues that say what was expected without echoing the value: a config file
 * may hold a PKCS#11 `pin-value`, and an error line must never carry it into a log.
 */
export const issueMessage: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      return iss.input === undefined ? "required" : `expected ${iss.expected}, got ${typeName(iss.input)}`;
    case "invalid_value":
      return `expected one of ${iss.values.map(String).join(", ")}`;
    case "too_small":
      return bound("at least", iss.minimum, iss.origin, iss.inclusive);
    case "too_big":
      return bound("at most", iss.maximum, iss.origin, iss.inclusive);
    default:
      return undefined;
  }
};

function bound(word: string, limit: number | bigint, origin: string, inclusive = true): string {
  const edge = inclusive ? `${word} ${limit}` : `${word === "at least" ? "more" : "less"} than ${limit}`;
  switch (origin) {
    case "string":
      return `expected ${edge} characters`;
    case "array":
    case "set":
      return `expected ${edge} items`;
    default:
      return `expected ${edge}`;
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** `keys[1].alg` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** One problem: the field at fault (`SIGNER_CONFIG keys[1].alg`) and what is wrong with it. */
export interface FieldProblem {
  readonly field: string;
  readonly detail: string;
}

/** One problem per issue, each named `prefix path`; an unknown field is reported at its own path. */
export function issueProblems(prefix: string, issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const fieldAt = (at: string): string => (at === "" ? prefix : `${prefix} ${at}`);
  for (const issue of issues) {
    const at = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        problems.push({ field: fieldAt(at === "" ? key : `${at}.${key}`), detail: "unknown field" });
    } else {
      problems.push({ field: fieldAt(at), detail: issue.message });
    }
  }
  return problems;
}
