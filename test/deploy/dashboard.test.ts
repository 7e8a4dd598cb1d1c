import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ROOT } from "../helpers/cli.js";
import { checkExpr, type Family, scrapeExportedMetrics } from "./exported-metrics.js";
import { substituteGrafanaVariables } from "./promql.js";

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown }[] };
}

/** Grafana's data source variable, as panels reference it (a literal, not a JS template). */
const GRAFANA_DATASOURCE = ["$", "{datasource}"].join("");

const dashboard = JSON.parse(
  readFileSync(join(ROOT, "deploy/grafana/signing-proxy-dashboard.json"), "utf8"),
) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

describe("deploy/grafana/signing-proxy-dashboard.json", () => {
  test("is a Grafana dashboard: uid, schema version, unique panel ids, panels inside the 24-column grid", () => {
    assert.equal(dashboard.uid, "signing-proxy");
    assert.ok(dashboard.schemaVersion >= 36);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
    for (const p of panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
      if (p.type !== "row") assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
    }
    const variables = dashboard.templating.list.map((v) => v.name);
    assert.deepEqual(variables, ["datasource", "namespace", "pod"]);
  });

  test("queries use the datasource variable and cover signing, audit, backends and TLS", () => {
    for (const q of queries)
      assert.deepEqual(q.datasource, { type: "prometheus", uid: GRAFANA_DATASOURCE }, q.panel);
    const all = queries.map((q) => q.expr).join("\n");
    for (const metric of [
      "signer_sign_seconds_bucket",
      "signer_sign_failures_total",
      "signer_audit_append_seconds_bucket",
      "signer_audit_failures_total",
      "signer_backend_errors_total",
      "signer_backend_circuit_open",
      "signer_verify_total",
      "signer_tls_cert_expiry_seconds",
    ]) {
      assert.ok(all.includes(metric), `a panel shows ${metric}`);
    }
  });

  describe("every query parses as PromQL and references exported metrics and labels", () => {
    let families: Map<string, Family>;
    before(async () => {
      families = await scrapeExportedMetrics();
    });
    for (const q of queries) {
      test(`${q.panel} (${q.refId})`, () => checkExpr(substituteGrafanaVariables(q.expr), families));
    }
    test("template variable queries name exported metrics", () => {
      for (const v of dashboard.templating.list.filter((x) => x.type === "query")) {
        const query = (v.query as { query: string }).query;
        const inner = /^label_values\((.+), *(\w+)\)$/.exec(query);
        assert.ok(inner, `${v.name}: label_values(selector, label)`);
        checkExpr(substituteGrafanaVariables(inner[1]!), families);
      }
    });
  });
});
