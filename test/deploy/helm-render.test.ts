import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import { CHART_DIR, EXAMPLES, renderChart, rendererMissing } from "./manifests.js";

// CI installs the renderer's toolchain (.ci/run); elsewhere the examples are still validated by
// helm-chart.test.ts, but whether they match the chart can only be checked with it.
const missing = rendererMissing();
const skip = missing !== undefined && process.env.REQUIRE_INTEGRATION !== "1" ? missing : false;

describe("chart rendering (deploy/tools/helm-render.sh)", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "signer-helm-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const values = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, stringify(content));
    return file;
  };
  const render = (...files: string[]) =>
    renderChart([
      "--name",
      "signing-proxy",
      "--namespace",
      "memory-layer",
      ...files.flatMap((f) => ["-f", f]),
      CHART_DIR,
    ]);

  test("the committed examples are exactly what the chart renders (run deploy/tools/render-examples.sh)", () => {
    assert.equal(missing, undefined, `REQUIRE_INTEGRATION=1 but the renderer cannot run: ${missing}`);
    for (const [name, extra] of [
      ["default", []],
      ["production", [join(CHART_DIR, "values-production.yaml")]],
    ] as const) {
      const r = render(...extra);
      assert.equal(r.status, 0, r.stderr);
      const committed = readFileSync(EXAMPLES[name], "utf8").replace(/^(#.*\n)+/, "");
      assert.equal(r.stdout, committed, `deploy/examples/${name}.yaml is stale`);
    }
  });

  test("refuses several replicas without PostgreSQL (SQLite is single-writer)", () => {
    const r = render(values("no-db.yaml", { secrets: { items: [] } }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs PostgreSQL/);
    const single = render(
      values("single.yaml", {
        secrets: { items: [] },
        replicaCount: 1,
        autoscaling: { enabled: false },
        podDisruptionBudget: { enabled: false },
      }),
    );
    assert.equal(single.status, 0, single.stderr);
    assert.match(single.stdout, /replicas: 1\n/);
  });

  test("refuses a PodDisruptionBudget that would block every drain", () => {
    const r = render(values("pdb.yaml", { podDisruptionBudget: { minAvailable: 3 } }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /minAvailable must be below/);
  });

  test("refuses Vault without a NetworkPolicy egress rule to it (an empty rule would allow all)", () => {
    const r = render(values("vault.yaml", { secrets: { provider: "vault" } }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /egress\.vault\.to/);
  });

  test("refuses an unknown secrets provider", () => {
    const r = render(values("provider.yaml", { secrets: { provider: "env" } }));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /secrets\.provider/);
  });
});
