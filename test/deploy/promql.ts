import { parser } from "@prometheus-io/lezer-promql";

/** A metric selector found in a PromQL expression: the metric name and the label names it matches on. */
export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** Grafana's template variables, replaced by valid PromQL before parsing. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, "5m")
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?/g, "x");
}

/**
 * Parse `expr` with the Prometheus project's own PromQL grammar and return every vector selector's
 * metric name (from the identifier or a `__name__` matcher) with its label matchers. Throws on a
 * syntax error, naming the position.
 */
export function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      throw new Error(`PromQL syntax error at ${cursor.from}: …${expr.slice(cursor.from, cursor.from + 30)}`);
    }
    if (cursor.name !== "VectorSelector") continue;
    const node = cursor.node;
    let metric = node.getChild("Identifier")
      ? expr.slice(node.getChild("Identifier")!.from, node.getChild("Identifier")!.to)
      : "";
    const labels: string[] = [];
    const matchers = node.getChild("LabelMatchers");
    for (let m = matchers?.firstChild ?? null; m !== null; m = m.nextSibling) {
      const name = m.getChild("LabelName");
      if (!name) continue;
      const label = expr.slice(name.from, name.to);
      const value = m.getChild("StringLiteral");
      if (label === "__name__" && value) metric = JSON.parse(expr.slice(value.from, value.to)) as string;
      else labels.push(label);
    }
    if (metric === "") throw new Error(`selector without a metric name in ${expr}`);
    selectors.push({ metric, labels });
  } while (cursor.next());
  return selectors;
}

/** Label names an expression groups or matches by (`by (…)`, `on (…)`, …) — they must exist too. */
export function groupingLabelsOf(expr: string): string[] {
  const tree = parser.parse(expr);
  const labels: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.name === "GroupingLabels") {
      for (let l = cursor.node.firstChild; l !== null; l = l.nextSibling) {
        if (l.name === "LabelName") labels.push(expr.slice(l.from, l.to));
      }
    }
  } while (cursor.next());
  return labels;
}
