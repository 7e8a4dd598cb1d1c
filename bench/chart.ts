import { Resvg } from "@resvg/resvg-js";
import type { Cell } from "./targets.js";

const W = 1180;
const H = 480;
const PANEL = { w: 470, h: 340, top: 60 };
const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Powers of ten spanning [lo, hi], for a log axis. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function panel(
  cells: readonly Cell[],
  x0: number,
  title: string,
  value: (c: Cell) => number,
  unit: string,
): string {
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const concs = [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b);
  const values = cells.map(value).filter((v) => v > 0);
  const ticks = decades(Math.min(...values), Math.max(...values));
  const [lo, hi] = [Math.log10(ticks[0]!), Math.log10(ticks[ticks.length - 1]!)];
  const y = (v: number) => PANEL.top + PANEL.h - ((Math.log10(v) - lo) / (hi - lo || 1)) * PANEL.h;
  const x = (c: number) =>
    x0 + (concs.length === 1 ? PANEL.w / 2 : (concs.indexOf(c) / (concs.length - 1)) * PANEL.w);
  const parts = [
    `<text x="${x0 + PANEL.w / 2}" y="${PANEL.top - 20}" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<rect x="${x0}" y="${PANEL.top}" width="${PANEL.w}" height="${PANEL.h}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks) {
    parts.push(
      `<line x1="${x0}" x2="${x0 + PANEL.w}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`,
      `<text x="${x0 - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t >= 1 ? t.toLocaleString("en-US") : t} ${unit}</text>`,
    );
  }
  for (const c of concs) {
    parts.push(
      `<text x="${x(c)}" y="${PANEL.top + PANEL.h + 18}" text-anchor="middle" font-size="11">${c}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + PANEL.w / 2}" y="${PANEL.top + PANEL.h + 36}" text-anchor="middle" font-size="12">concurrency</text>`,
  );
  scenarios.forEach((s, i) => {
    const points = concs
      .map((c) => cells.find((cell) => cell.scenario === s && cell.concurrency === c))
      .filter((cell): cell is Cell => cell !== undefined && value(cell) > 0)
      .map((cell) => `${x(cell.concurrency).toFixed(1)},${y(value(cell)).toFixed(1)}`);
    const color = COLORS[i % COLORS.length];
    parts.push(`<polyline points="${points.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of points) {
      const [px, py] = p.split(",");
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
  });
  return parts.join("\n");
}

/** An SVG chart of throughput and p99 latency against concurrency, one line per scenario (log axes). */
export function chartSvg(cells: readonly Cell[], subtitle: string): string {
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const legend = scenarios
    .map((s, i) => {
      const lx = 90 + i * 160;
      const color = COLORS[i % COLORS.length];
      return `<rect x="${lx}" y="${H - 22}" width="14" height="4" fill="${color}"/><text x="${lx + 20}" y="${H - 16}" font-size="12">${escapeXml(s)}</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="12" fill="#555">${escapeXml(subtitle)}</text>
${panel(cells, 90, "throughput (req/s; signatures/s for batches)", (c) => c.throughput, "")}
${panel(cells, 90 + PANEL.w + 90, "p99 latency", (c) => c.p99Ms, "ms")}
${legend}
</svg>
`;
}

/** Render the chart as PNG (labels need a system font such as DejaVu Sans; lines render without one). */
export function chartPng(svg: string): Buffer {
  return new Resvg(svg, { background: "white", font: { loadSystemFonts: true } }).render().asPng();
}
