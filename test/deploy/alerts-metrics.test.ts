import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../helpers/cli.js";
import { checkExpr, type Family, scrapeExportedMetrics } from "./exported-metrics.js";
import { selectorsOf } from "./promql.js";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: Rule[] = (
  parse(readFileSync(join(ROOT, "deploy/prometheus/alerts.yaml"), "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

/** What the issue asks alerts for, and a metric that must appear in at least one rule for each. */
const REQUIRED_COVERAGE: Readonly<Record<string, RegExp>> = {
  "signing failures": /signer_sign_failures_total/,
  "KMS/HSM errors": /signer_backend_errors_total/,
  "audit append failures": /signer_audit_failures_total/,
  "sign latency over the 200 ms SLO": /histogram_quantile\(0\.9[59],.*signer_sign_seconds_bucket.*> 0\.2\b/s,
  "audit append latency over the 500 ms SLO":
    /histogram_quantile\(0\.95,.*signer_audit_append_seconds_bucket.*> 0\.5\b/s,
  "verification mismatches": /signer_verify_total\{result="invalid"\}/,
  "certificate expiry under 30 days": /signer_tls_cert_expiry_seconds\) < 30 \* 86400/,
  "readiness flapping": /changes\(kube_pod_status_ready/,
};

describe("deploy/prometheus/alerts.yaml", () => {
  test("every rule is well formed: PromQL parses, severity, summary, description, existing runbook", () => {
    assert.ok(rules.length >= 10);
    const names = new Set<string>();
    for (const rule of rules) {
      assert.ok(rule.alert, "alerting rules only");
      assert.match(rule.alert, /^[a-zA-Z_][a-zA-Z0-9_]*$/, "a valid alert name");
      assert.ok(!names.has(rule.alert), `duplicate alert ${rule.alert}`);
      names.add(rule.alert);
      assert.ok(selectorsOf(rule.expr).length > 0, rule.alert);
      if (rule.for !== undefined) assert.match(rule.for, /^\d+[smh]$/, rule.alert);
      assert.ok(["critical", "warning"].includes(rule.labels?.severity ?? ""), `${rule.alert} severity`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert} annotations`);
      const runbook = rule.annotations?.runbook_url ?? "";
      assert.ok(
        existsSync(join(ROOT, runbook.split("#")[0] ?? "")),
        `${rule.alert}: runbook ${runbook} exists`,
      );
    }
  });

  test("covers everything the operations spec asks alerts for", () => {
    for (const [what, pattern] of Object.entries(REQUIRED_COVERAGE)) {
      assert.ok(
        rules.some((r) => pattern.test(r.expr)),
        `no rule for ${what}`,
      );
    }
  });

  describe("every metric a rule names is exported by the service", () => {
    let families: Map<string, Family>;
    before(async () => {
      families = await scrapeExportedMetrics();
    });
    for (const rule of rules) {
      test(`${rule.alert}`, () => checkExpr(rule.expr, families));
    }
    test("the check itself refuses unknown metrics, labels and groupings", () => {
      assert.throws(() => checkExpr("rate(signer_signatures_total[5m])", families), /neither exported/);
      assert.throws(() => checkExpr('signer_sign_failures_total{reson="x"}', families), /no label reson/);
      assert.throws(
        () => checkExpr("sum by (kid) (signer_audit_failures_total)", families),
        /unknown label kid/,
      );
      assert.throws(() => checkExpr("signer_verify_total_bucket", families), /neither exported/);
      assert.throws(() => checkExpr("sum(rate(signer_verify_total[5m])", families), /syntax error/);
    });
  });
});
