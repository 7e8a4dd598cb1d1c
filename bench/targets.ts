/** One measured cell: a scenario at a concurrency, median of the repetitions. */
export interface Cell {
  readonly scenario: string;
  readonly concurrency: number;
  /** Requests/s, or signatures/s for batch scenarios. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly rssMb: number;
  /** CPU time (all threads) per request, or per signature for batch scenarios, in µs. */
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  /** Share of the run the server's event loop (its main thread) was busy. */
  readonly loopBusy: number;
  /** Share of the whole machine's CPU busy while measuring (PostgreSQL and SoftHSM included). */
  readonly machineBusy: number | null;
}

/** Ratios and targets of issue "Performance", from one run. */
export interface Summary {
  readonly ratios: Record<string, number | null>;
  readonly p99_ms: { readonly s2: number | null };
  readonly cold_start_ms: number;
  readonly rss_mb: { readonly s2: number | null };
  readonly targets: Record<
    string,
    { readonly value: number | null; readonly target: string; readonly met: boolean | null }
  >;
  readonly targets_met: boolean;
}

/** Compute the ratios and check them against the targets; a target with errors in its runs never counts. */
export function summarize(
  cells: readonly Cell[],
  base: { rawEd25519: number; rawPkcs11: number | null; coldStartMs: number },
): Summary {
  const at = (scenario: string, c: number) =>
    cells.find((x) => x.scenario === scenario && x.concurrency === c);
  const clean = (...xs: Array<Cell | undefined>) => xs.every((x) => x !== undefined && x.errors === 0);
  const div = (a: number | undefined, b: number | undefined | null) => (a === undefined || !b ? null : a / b);
  const s1 = at("S1 echo", 64);
  const s2 = at("S2 sign/hash", 64);
  const s3 = [at("S3 batch 256", 64), at("S3 batch 1024", 64)].filter((x) => x !== undefined);
  const s3best = s3.sort((a, b) => b.throughput - a.throughput)[0];
  const s4 = at("S4 sign/hash pg", 64);
  const s5 = at("S5 sign/hash pkcs11", 64);
  const ratios = {
    s2_over_s1: div(s2?.throughput, s1?.throughput),
    s3_over_raw: div(s3best?.throughput, base.rawEd25519),
    s4_over_s2: div(s4?.throughput, s2?.throughput),
    s5_over_raw_pkcs11: div(s5?.throughput, base.rawPkcs11),
  };
  const check = (value: number | null, ok: (v: number) => boolean, cellsOk: boolean) =>
    value === null ? null : cellsOk && ok(value);
  const targets = {
    s2_over_s1: {
      value: ratios.s2_over_s1,
      target: ">= 0.55",
      met: check(ratios.s2_over_s1, (v) => v >= 0.55, clean(s1, s2)),
    },
    s2_p99_ms: {
      value: s2?.p99Ms ?? null,
      target: "<= 20",
      met: check(s2?.p99Ms ?? null, (v) => v <= 20, clean(s2)),
    },
    s3_over_raw: {
      value: ratios.s3_over_raw,
      target: ">= 0.8",
      met: check(ratios.s3_over_raw, (v) => v >= 0.8, clean(s3best)),
    },
    s4_over_s2: {
      value: ratios.s4_over_s2,
      target: ">= 0.7",
      met: check(ratios.s4_over_s2, (v) => v >= 0.7, clean(s4, s2)),
    },
    s5_over_raw_pkcs11: {
      value: ratios.s5_over_raw_pkcs11,
      target: ">= 0.8",
      met: check(ratios.s5_over_raw_pkcs11, (v) => v >= 0.8, clean(s5)),
    },
    cold_start_ms: { value: base.coldStartMs, target: "<= 1500", met: base.coldStartMs <= 1500 },
    s2_rss_mb: {
      value: s2?.rssMb ?? null,
      target: "<= 200",
      met: check(s2?.rssMb ?? null, (v) => v <= 200, true),
    },
  };
  return {
    ratios,
    p99_ms: { s2: s2?.p99Ms ?? null },
    cold_start_ms: base.coldStartMs,
    rss_mb: { s2: s2?.rssMb ?? null },
    targets,
    // A scenario that could not run (null) does not meet its target.
    targets_met: Object.values(targets).every((t) => t.met === true),
  };
}
