import assert from "node:assert/strict";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";
import { groupingLabelsOf, selectorsOf } from "./promql.js";

/** One exported metric family: its type and the label names its series can carry. */
export interface Family {
  readonly type: string;
  readonly labels: ReadonlySet<string>;
}

/** Labels Prometheus adds to every scraped series (scrape target and Kubernetes SD relabelling). */
export const TARGET_LABELS: ReadonlySet<string> = new Set([
  "job",
  "instance",
  "namespace",
  "pod",
  "container",
]);

/**
 * Metrics a rule or panel may use that the service does not export, each with where it comes from.
 * Anything else must be exported by the service, or the test fails.
 */
export const EXTERNAL_METRICS: Readonly<Record<string, { source: string; labels: readonly string[] }>> = {
  up: { source: "Prometheus (scrape health of each target)", labels: [] },
  kube_pod_status_ready: { source: "kube-state-metrics", labels: ["condition", "uid"] },
};

/**
 * Start a service, exercise a signature and a valid and an invalid verification, and scrape the
 * management port's /metrics. Families come from the `# TYPE` lines (so labelled metrics with no
 * series yet still count); label names from the series and, for series not yet observed, from the
 * registry's metric definitions.
 */
export async function scrapeExportedMetrics(): Promise<Map<string, Family>> {
  const fx: ServiceFixture = await startFixture();
  try {
    const agent = fx.agent("memory-layer");
    const digestHex = "ab".repeat(32);
    const signed = await call(agent, `${fx.service.url}/sign/hash`, {
      body: { digestHex, kid: "k-ed25519" },
    });
    if (signed.status !== 200) throw new Error(`sign failed: ${signed.status} ${signed.text}`);
    const signature = (signed.body as { signature: string }).signature;
    for (const digest of [digestHex, "cd".repeat(32)]) {
      await call(agent, `${fx.service.url}/verify`, {
        body: { kid: "k-ed25519", signature, digestHex: digest },
      });
    }
    const scraped = await call(undefined, `${fx.service.managementUrl}/metrics`);
    if (scraped.status !== 200) throw new Error(`/metrics answered ${scraped.status}`);
    const families = parseExposition(scraped.text);
    for (const metric of fx.service.deps.metrics.registry.getMetricsAsArray()) {
      // prom-client keeps each metric's declared label names on the instance.
      const declared =
        (metric as unknown as { name: string; labelNames?: readonly string[] }).labelNames ?? [];
      const family = families.get((metric as unknown as { name: string }).name);
      if (family) for (const l of declared) (family.labels as Set<string>).add(l);
    }
    return families;
  } finally {
    await fx.close();
  }
}

/** Families and observed label names from the Prometheus text exposition format. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1]!, { type: type[2]!, labels: new Set() });
  }
  for (const line of text.split("\n")) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const family = familyOf(families, sample[1]!);
    for (const m of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      (family?.labels as Set<string> | undefined)?.add(m[1]!);
    }
  }
  return families;
}

/** The family a sample or selector name belongs to: histograms and summaries add suffixes. */
export function familyOf(families: ReadonlyMap<string, Family>, name: string): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!m) return undefined;
  const base = families.get(m[1]!);
  if (!base) return undefined;
  if (m[2] === "bucket" ? base.type === "histogram" : base.type === "histogram" || base.type === "summary") {
    return { type: base.type, labels: new Set([...base.labels, ...(m[2] === "bucket" ? ["le"] : [])]) };
  }
  return undefined;
}

/**
 * Assert every selector of `expr` names an exported family (or a documented external metric) and
 * every label it matches or groups by exists on it.
 */
export function checkExpr(expr: string, families: ReadonlyMap<string, Family>): void {
  const known = new Set<string>([...TARGET_LABELS, "le"]);
  for (const { metric, labels } of selectorsOf(expr)) {
    const external = EXTERNAL_METRICS[metric];
    const family = familyOf(families, metric);
    assert.ok(
      family ?? external,
      `${metric} is neither exported by the service nor a documented external metric`,
    );
    const available = new Set([...(family?.labels ?? []), ...(external?.labels ?? []), ...TARGET_LABELS]);
    for (const label of labels) assert.ok(available.has(label), `${metric} has no label ${label}`);
    for (const label of available) known.add(label);
  }
  for (const label of groupingLabelsOf(expr))
    assert.ok(known.has(label), `grouping by unknown label ${label}`);
}
