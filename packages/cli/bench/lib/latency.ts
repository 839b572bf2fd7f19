/**
 * Bench helpers for latency samples (pure): nearest-rank percentiles where a sample that never
 * arrived counts as infinitely late, so a lost alert can only make p99 worse, never better.
 */

export interface LatencySummary {
  readonly samples: number;
  readonly missing: number;
  /** null when the rank falls on a missing sample. */
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Nearest-rank percentile (q in (0, 1]) of ascending `sorted`; Infinity ranks → null. */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const v = sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
  return Number.isFinite(v) ? v : null;
}

/** Summary of latencies in ms; `undefined` = the sample never arrived. */
export function summarizeLatencies(values: readonly (number | undefined)[]): LatencySummary {
  const sorted = values.map((v) => v ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  return {
    samples: values.length,
    missing: values.filter((v) => v === undefined).length,
    p50: nearestRank(sorted, 0.5),
    p99: nearestRank(sorted, 0.99),
    max: nearestRank(sorted, 1),
  };
}
