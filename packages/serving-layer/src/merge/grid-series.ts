/**
 * Merge of a grid entity's series (SPEC 6): 15-minute windows from the batch view grid_15m where the
 * batch coverage answers (coverage.ts: the published local days; without a coverage, before the
 * watermark) and from the realtime view's grid windows everywhere else, rolled up into buckets.
 *
 * Per bucket:
 *  - wh: energy of every window (integer Wh); null when status is 'missing';
 *  - meters_total / meters_reported: the most meters in / reporting in one window of the bucket
 *    (exact for 15m; a distinct count over longer buckets cannot be derived from window aggregates);
 *  - receipt_rate: reads received / reads expected over the bucket's windows (Σ reported / Σ total);
 *    realtime windows take meters_total from `provisionalMetersTotal` (the latest batch figure for the
 *    entity); null when no total is known;
 *  - voltage avg/min/max over actual reads: batch windows weigh voltage_avg by their actual reads
 *    (meters_total − estimated − edited − missing − outage), realtime windows add their exact sums
 *    (over every read: the realtime view does not split voltage by estimated_flag, so a provisional
 *    window also averages the voltage of reads the head-end estimated, which the batch leaves out).
 * A window has a value when at least one meter has one (batch: not all missing; realtime: a read).
 */
import { assertInstant, isAlignedIntervalStart } from '@ami/shared/time';
import type { GridTailWindow } from '@ami/speed-layer/realtime-view';
import { bucketIndexOf, type Bucket } from './buckets.ts';
import { bucketStatusBy, coversInterval, watermarkCoverage, type BatchCoverage } from './coverage.ts';
import type { SeriesStatus } from './watermark-split.ts';

export interface AuthoritativeGridWindow {
  readonly startMs: number;
  readonly wh: number;
  readonly metersTotal: number;
  readonly metersReported: number;
  readonly estimated: number;
  readonly edited: number;
  readonly missing: number;
  readonly outage: number;
  /** Average of the actual reads' voltage, V; null when none. */
  readonly voltageAvg: number | null;
  readonly voltageMin: number | null;
  readonly voltageMax: number | null;
}

/** A provisional window as the speed layer's read contract returns it. */
export type ProvisionalGridWindow = GridTailWindow;

export interface GridPoint {
  readonly startMs: number;
  readonly endMs: number;
  readonly wh: number | null;
  readonly status: SeriesStatus;
  readonly metersTotal: number | null;
  readonly metersReported: number | null;
  readonly receiptRate: number | null;
  readonly voltageAvg: number | null;
  readonly voltageMin: number | null;
  readonly voltageMax: number | null;
}

export interface GridMergeInput {
  readonly buckets: readonly Bucket[];
  readonly watermarkMs: number | null;
  /** Which windows the batch views answer; default: those starting before `watermarkMs`. */
  readonly coverage?: BatchCoverage;
  readonly authoritative: readonly AuthoritativeGridWindow[];
  readonly provisional: readonly ProvisionalGridWindow[];
  /** Meters of the entity for realtime windows (latest batch figure), or null when unknown. */
  readonly provisionalMetersTotal: number | null;
}

interface Acc {
  wh: number;
  valued: number;
  metersTotal: number | null;
  metersReported: number | null;
  reported: number;
  expected: number;
  vSum: number;
  vCount: number;
  vMin: number | null;
  vMax: number | null;
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;

function checkStart(ms: number, seen: Set<number>, side: string): void {
  assertInstant(ms);
  if (!isAlignedIntervalStart(ms)) throw new RangeError(`not an interval start: ${ms}`);
  if (seen.has(ms)) throw new RangeError(`${side} window ${ms} given twice`);
  seen.add(ms);
}

export function mergeGridSeries(input: GridMergeInput): GridPoint[] {
  const { buckets, watermarkMs } = input;
  const coverage = input.coverage ?? watermarkCoverage(watermarkMs);
  const acc: Acc[] = buckets.map(() => ({
    wh: 0,
    valued: 0,
    metersTotal: null,
    metersReported: null,
    reported: 0,
    expected: 0,
    vSum: 0,
    vCount: 0,
    vMin: null,
    vMax: null,
  }));

  const seenBatch = new Set<number>();
  for (const g of input.authoritative) {
    if (!coversInterval(coverage, g.startMs)) continue;
    checkStart(g.startMs, seenBatch, 'authoritative');
    const i = bucketIndexOf(buckets, g.startMs);
    if (i < 0) continue;
    const a = acc[i]!;
    a.wh += g.wh;
    if (g.missing < g.metersTotal) a.valued++;
    a.metersTotal = maxOf(a.metersTotal, g.metersTotal);
    a.metersReported = maxOf(a.metersReported, g.metersReported);
    a.reported += g.metersReported;
    a.expected += g.metersTotal;
    const actual = g.metersTotal - g.estimated - g.edited - g.missing - g.outage;
    if (g.voltageAvg !== null && actual > 0) {
      a.vSum += g.voltageAvg * actual;
      a.vCount += actual;
    }
    a.vMin = minOf(a.vMin, g.voltageMin);
    a.vMax = maxOf(a.vMax, g.voltageMax);
  }

  const seenRealtime = new Set<number>();
  const total = input.provisionalMetersTotal;
  for (const g of input.provisional) {
    if (coversInterval(coverage, g.startMs)) continue;
    checkStart(g.startMs, seenRealtime, 'provisional');
    const i = bucketIndexOf(buckets, g.startMs);
    if (i < 0) continue;
    const a = acc[i]!;
    a.wh += g.wh;
    if (g.metersReported > 0) a.valued++;
    a.metersReported = maxOf(a.metersReported, g.metersReported);
    if (total !== null) {
      a.metersTotal = maxOf(a.metersTotal, total);
      a.reported += g.metersReported;
      a.expected += total;
    }
    a.vSum += g.voltageSumCv / 100;
    a.vCount += g.voltageCount;
    a.vMin = minOf(a.vMin, g.voltageMinCv === null ? null : g.voltageMinCv / 100);
    a.vMax = maxOf(a.vMax, g.voltageMaxCv === null ? null : g.voltageMaxCv / 100);
  }

  return buckets.map((bucket, i) => {
    const a = acc[i]!;
    const status = bucketStatusBy(coverage, bucket, a.valued > 0);
    const none = status === 'missing';
    return {
      startMs: bucket.startMs,
      endMs: bucket.endMs,
      wh: none ? null : a.wh,
      status,
      metersTotal: none ? null : a.metersTotal,
      metersReported: none ? null : a.metersReported,
      receiptRate: none || a.expected === 0 ? null : round(a.reported / a.expected, 4),
      voltageAvg: none || a.vCount === 0 ? null : round(a.vSum / a.vCount, 2),
      voltageMin: none ? null : a.vMin,
      voltageMax: none ? null : a.vMax,
    };
  });
}
