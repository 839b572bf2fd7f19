/**
 * The soak run's arithmetic (pure): least-squares slope of a memory series, the summary of each
 * process's memory over the load, the verdict lines, and the flat figures of bench/results/soak.json.
 *
 * Trend threshold (default 1 MB/min, `--max-slope-mb-per-min`): a process whose resident memory
 * grows by more than 1 MB/min in the second half of the load would gain over 1.4 GB a day — it
 * would exhaust the development machine within days, so it is a leak worth failing on. Below it, a
 * 15-minute window cannot tell a real trend from the V8 heap's GC sawtooth and allocator warm-up
 * (tens of MB up and down within minutes), so a smaller threshold would flag noise. The first half
 * of the load is left out: heaps, caches and Kafka/DuckDB buffers fill up there by design.
 */

export interface Point {
  /** Minutes since the load started. */
  readonly tMin: number;
  readonly value: number;
}

/** Least-squares slope (value per minute) of `points`; null with fewer than 3 points or no spread in time. */
export function slope(points: readonly Point[]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.tMin, 0) / n;
  const mv = points.reduce((s, p) => s + p.value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.tMin - mt) ** 2;
    sxy += (p.tMin - mt) * (p.value - mv);
  }
  return sxx === 0 ? null : sxy / sxx;
}

export interface MemorySummary {
  /** First sample of the load. */
  readonly start: number | null;
  /** Last sample of the load. */
  readonly end: number | null;
  /** Largest sample over the load and the drain. */
  readonly max: number | null;
  /** Slope over the second half of the load (MB/min). */
  readonly slopePerMin: number | null;
}

/**
 * `series`: (minutes since load start, MB) for the whole run; the load lasted `loadMin` minutes.
 * Samples before the load (t < 0) are ignored; after it (the drain) count only for the maximum.
 */
export function summarizeMemory(series: readonly Point[], loadMin: number): MemorySummary {
  const run = series.filter((p) => p.tMin >= 0);
  const load = run.filter((p) => p.tMin <= loadMin);
  const secondHalf = load.filter((p) => p.tMin >= loadMin / 2);
  return {
    start: load[0]?.value ?? null,
    end: load[load.length - 1]?.value ?? null,
    max: run.length === 0 ? null : Math.max(...run.map((p) => p.value)),
    slopePerMin: slope(secondHalf),
  };
}

/** Loads shorter than this leave a second half inside the warm-up: their trend verdict says so. */
export const MIN_TREND_LOAD_MIN = 20;

/** "no upward trend …" or "UPWARD TREND …" over the processes' RSS slopes of a `loadMin`-minute load. */
export function memoryVerdict(
  slopes: ReadonlyMap<string, number | null>,
  thresholdMbPerMin: number,
  loadMin: number,
): string {
  const known = [...slopes].filter((e): e is [string, number] => e[1] !== null);
  const over = known.filter(([, s]) => s > thresholdMbPerMin);
  const unknown = [...slopes].filter(([, s]) => s === null).map(([p]) => p);
  const tail =
    (unknown.length > 0 ? ` (too few samples for ${unknown.join(', ')})` : '') +
    (loadMin < MIN_TREND_LOAD_MIN
      ? ` — short run (${loadMin.toFixed(1)} min): the second half is still warm-up, not evidence either way`
      : '');
  if (over.length > 0)
    return `UPWARD TREND: ${over.map(([p, s]) => `${p} +${s.toFixed(2)} MB/min`).join(', ')} of resident memory over the second half of the load (threshold ${thresholdMbPerMin} MB/min)${tail}`;
  if (known.length === 0) return `memory trend unknown: too few samples${tail}`;
  const [worstName, worst] = known.reduce((a, b) => (b[1] > a[1] ? b : a));
  return `no upward trend: every process's resident memory grew by at most ${thresholdMbPerMin} MB/min over the second half of the load (largest: ${worstName} ${worst.toFixed(2)} MB/min)${tail}`;
}

/** "lag returned to zero in X s" or why not. */
export function lagVerdict(drainS: number | null, remaining: number, waitedS: number): string {
  if (drainS !== null) return `lag returned to zero in ${Math.round(drainS)} s`;
  return `lag did NOT return to zero within ${Math.round(waitedS)} s after the load (${remaining.toLocaleString('en-US')} messages still behind)`;
}

/** Process name as a figure-name part: "speed-layer" → "speed_layer". */
export function figureName(process: string): string {
  return process.replace(/[^A-Za-z0-9]+/g, '_');
}

const mb1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
const slope2 = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);

export interface ProcessMemory {
  readonly rss: MemorySummary;
  readonly heap: MemorySummary;
  readonly restarts: number;
}

/** The per-process figures of soak.json: `<process>_rss_start_mb` … `<process>_restarts`. */
export function processFigures(name: string, m: ProcessMemory): Record<string, number | null> {
  const p = figureName(name);
  return {
    [`${p}_rss_start_mb`]: mb1(m.rss.start),
    [`${p}_rss_end_mb`]: mb1(m.rss.end),
    [`${p}_rss_max_mb`]: mb1(m.rss.max),
    [`${p}_rss_slope_mb_per_min`]: slope2(m.rss.slopePerMin),
    [`${p}_heap_start_mb`]: mb1(m.heap.start),
    [`${p}_heap_end_mb`]: mb1(m.heap.end),
    [`${p}_heap_max_mb`]: mb1(m.heap.max),
    [`${p}_heap_slope_mb_per_min`]: slope2(m.heap.slopePerMin),
    [`${p}_restarts`]: m.restarts,
  };
}

/** Times a process was restarted, from the pids it had in successive samples. */
export function restartsFromPids(pids: readonly (number | undefined)[]): number {
  let restarts = 0;
  let last: number | undefined;
  for (const pid of pids) {
    if (pid === undefined) continue;
    if (last !== undefined && pid !== last) restarts++;
    last = pid;
  }
  return restarts;
}
