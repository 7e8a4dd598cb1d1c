import assert from "node:assert/strict";
import { test } from "node:test";
import { chartPng, chartSvg } from "../bench/chart.js";
import { type Cell, summarize } from "../bench/targets.js";

function cell(scenario: string, concurrency: number, throughput: number, over: Partial<Cell> = {}): Cell {
  return {
    scenario,
    concurrency,
    throughput,
    p50Ms: 1,
    p95Ms: 2,
    p99Ms: 3,
    errors: 0,
    rssMb: 150,
    serverCpuUs: 50,
    clientCpuUs: 20,
    loopBusy: 0.8,
    machineBusy: 0.9,
    ...over,
  };
}

const base = { rawEd25519: 40_000, rawPkcs11: 10_000, coldStartMs: 600 };
const passing = [
  cell("S1 echo", 64, 20_000),
  cell("S2 sign/hash", 64, 12_000),
  cell("S3 batch 256", 64, 35_000),
  cell("S4 sign/hash pg", 64, 9_000),
  cell("S5 sign/hash pkcs11", 64, 8_500),
];

test("summarize computes the issue's ratios and meets targets only when every one holds", () => {
  const s = summarize(passing, base);
  assert.equal(s.ratios.s2_over_s1, 0.6);
  assert.equal(s.ratios.s3_over_raw, 0.875);
  assert.equal(s.ratios.s4_over_s2, 0.75);
  assert.equal(s.ratios.s5_over_raw_pkcs11, 0.85);
  assert.equal(s.p99_ms.s2, 3);
  assert.equal(s.targets_met, true);
  const slow = summarize(
    [...passing.slice(0, 1), cell("S2 sign/hash", 64, 10_000), ...passing.slice(2)],
    base,
  );
  assert.equal(slow.targets.s2_over_s1?.met, false);
  assert.equal(slow.targets_met, false);
});

test("a target whose runs had errors never counts, and a missing scenario is 'not run'", () => {
  const errored = summarize(
    [cell("S1 echo", 64, 20_000), cell("S2 sign/hash", 64, 15_000, { errors: 1 })],
    base,
  );
  assert.equal(errored.targets.s2_over_s1?.met, false);
  assert.equal(errored.targets.s4_over_s2?.met, null);
  assert.equal(errored.targets_met, false);
});

test("the chart draws one line per scenario on both panels and renders a PNG", () => {
  const cells = [1, 16, 64].flatMap((c) => [cell("S1 echo", c, 1000 * c), cell("S2 sign/hash", c, 300 * c)]);
  const svg = chartSvg(cells, "unit test");
  assert.equal(svg.match(/<polyline /g)?.length, 4);
  assert.match(svg, /S2 sign\/hash/);
  const png = chartPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});
