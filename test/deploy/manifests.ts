import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../helpers/cli.js";

/** The chart and its rendered examples. */
export const CHART_DIR = join(ROOT, "deploy/helm/signing-proxy");
export const EXAMPLES = Object.freeze({
  default: join(ROOT, "deploy/examples/default.yaml"),
  production: join(ROOT, "deploy/examples/production.yaml"),
});
export type ExampleName = keyof typeof EXAMPLES;

/** A Kubernetes object as rendered (only the fields every object has are typed). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/**
 * Parse a multi-document manifest stream the way the API server's YAML reader does: YAML 1.1, so
 * `defaultMode: 0440` is octal 288, as kubectl and Helm read it (YAML 1.2 would read 440).
 */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: "1.1", uniqueKeys: true })) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const o = value as Partial<K8sObject>;
    if (
      typeof o.apiVersion !== "string" ||
      typeof o.kind !== "string" ||
      typeof o.metadata?.name !== "string"
    ) {
      throw new Error(`not a Kubernetes object: ${JSON.stringify(value).slice(0, 120)}`);
    }
    objects.push(o as K8sObject);
  }
  return objects;
}

/** The committed rendering of the chart for `name`'s values. */
export function loadExample(name: ExampleName): K8sObject[] {
  return parseManifests(readFileSync(EXAMPLES[name], "utf8"));
}

/** The one object of `kind` (optionally whose name ends with `suffix`); throws unless exactly one. */
export function only(objects: readonly K8sObject[], kind: string, suffix = ""): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${kind}*${suffix}, found ${found.length}`);
  return found[0]!;
}

/** Why the chart renderer cannot run here, or undefined when it can. */
export function rendererMissing(): string | undefined {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.status !== 0) return "Go is not installed (apt-get install golang-go)";
  const probe = spawnSync("test", ["-d", "/usr/share/gocode/src/github.com/Masterminds/sprig"]);
  if (probe.status !== 0)
    return "Debian's sprig sources are missing (apt-get install golang-github-masterminds-sprig-dev)";
  const yaml = spawnSync("test", ["-d", "/usr/share/gocode/src/sigs.k8s.io/yaml"]);
  if (yaml.status !== 0)
    return "Debian's sigs.k8s.io/yaml sources are missing (apt-get install golang-k8s-sigs-yaml-dev)";
  return undefined;
}

/** Run deploy/tools/helm-render.sh with `args` (values files, chart dir). */
export function renderChart(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync("bash", [join(ROOT, "deploy/tools/helm-render.sh"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Deep property access by dotted path; undefined when any step is missing. */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
