/**
 * The analytics aggregate (SPEC 6): per group and bucket one metric value, merged by the series merge
 * rule (src/merge: mergeGridSeries over the batch coverage of the pinned catalog, merge/coverage.ts)
 * and labelled authoritative / provisional / missing.
 *
 *  - region, substation, feeder: grid_15m windows of the batch-answered days (the published ones),
 *    the realtime view's grid windows (readGridDay) for the others — exactly the grid series of each
 *    entity.
 *  - segment, tariff: intervals_validated ⋈ meter_daily of the batch-answered days. The realtime view
 *    has no aggregate by segment or tariff (its grid windows are per grid entity only), so every
 *    bucket that is not wholly batch-answered is `missing` with reason `no_realtime_aggregate` — a
 *    partly authoritative total would read as a drop in load.
 * Groups are the attribution values in meter_daily of the request's batch days (or the watermark's
 * last day when the request has none) under the filters; nothing published = no groups.
 */
import { whToKwh } from '@ami/shared/energy';
import { localDate, type Step } from '@ami/shared/time';
import {
  batchDatesOf,
  coversInterval,
  isBatchBucket,
  mergeGridSeries,
  realtimeDatesOf,
  spanOf,
  watermarkCoverage,
  type BatchCoverage,
  type Bucket,
  type GridPoint,
  type SeriesStatus,
} from '../merge/index.ts';
import type { BatchSource } from '../sources/authoritative.ts';
import { readGridProvisional, type RealtimeSource } from '../sources/provisional.ts';
import { checkCells, isGridGroup, type Filters, type GroupBy, type Metric } from './query.ts';
import { readGridWindowsOf, readGroups, readMeterGroupWindows } from './sources.ts';

export const NO_REALTIME_AGGREGATE = 'no_realtime_aggregate';

export interface AggregateRow {
  readonly group: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly value: number | null;
  readonly status: SeriesStatus;
  /** Why a bucket is missing when it is not for lack of data (null otherwise). */
  readonly reason: string | null;
}

export interface AggregateRequest {
  readonly metric: Metric;
  readonly groupBy: GroupBy;
  readonly step: Step;
  readonly buckets: readonly Bucket[];
  readonly filters: Filters;
}

/** The metric of a merged point (pure). */
export function metricValue(metric: Metric, p: GridPoint): number | null {
  switch (metric) {
    case 'energy_kwh':
      return p.wh === null ? null : whToKwh(p.wh);
    case 'meters_reported':
      return p.metersReported;
    case 'receipt_rate':
      return p.receiptRate;
    case 'voltage_avg':
      return p.voltageAvg;
  }
}

/**
 * Rows of one group from its merged points; `realtimeAvailable` false masks every bucket the batch
 * does not wholly answer. `batch` is the pinned catalog's coverage, or a bare watermark (every
 * interval before it is batch).
 */
export function groupRows(
  group: string,
  metric: Metric,
  points: readonly GridPoint[],
  batch: BatchCoverage | number | null,
  realtimeAvailable: boolean,
): AggregateRow[] {
  const coverage = typeof batch === 'object' && batch !== null ? batch : watermarkCoverage(batch);
  return points.map((p) => {
    if (!realtimeAvailable && !isBatchBucket(coverage, p)) {
      return {
        group,
        startMs: p.startMs,
        endMs: p.endMs,
        value: null,
        status: 'missing',
        reason: NO_REALTIME_AGGREGATE,
      };
    }
    const value = p.status === 'missing' ? null : metricValue(metric, p);
    return { group, startMs: p.startMs, endMs: p.endMs, value, status: p.status, reason: null };
  });
}

/** Reads, merges and labels the aggregate under one pinned catalog version and its coverage. */
export async function aggregate(
  req: AggregateRequest,
  batch: BatchSource,
  realtime: RealtimeSource,
  watermarkMs: number | null,
  nowMs: number,
  coverage: BatchCoverage = watermarkCoverage(watermarkMs),
): Promise<AggregateRow[]> {
  const { buckets, groupBy, metric, filters } = req;
  if (watermarkMs === null) return [];
  const tz = batch.timeZone;
  const span = spanOf(buckets);
  const batchDates = batchDatesOf(coverage, span, tz);
  const lastBatchDay = localDate(watermarkMs - 1, tz);
  const groupDates = batchDates.length > 0 ? batchDates : [lastBatchDay];
  const groups = await readGroups(batch, groupBy, filters, groupDates);
  checkCells(buckets.length, groups.length);
  if (groups.length === 0) return [];

  if (!isGridGroup(groupBy)) {
    const windows = await readMeterGroupWindows(batch, groupBy, filters, batchDates);
    return groups.flatMap((g) => {
      const points = mergeGridSeries({
        buckets,
        watermarkMs,
        coverage,
        authoritative: windows.get(g) ?? [],
        provisional: [],
        provisionalMetersTotal: null,
      });
      return groupRows(g, metric, points, coverage, false);
    });
  }

  // Grid groupings: the realtime part also needs each entity's latest batch meters total.
  const rtDates = realtimeDatesOf(coverage, span, tz);
  const gridDates =
    rtDates.length > 0 && !batchDates.includes(lastBatchDay) ? [...batchDates, lastBatchDay] : batchDates;
  const [windows, provisional] = await Promise.all([
    readGridWindowsOf(batch, groupBy, groups, gridDates),
    Promise.all(groups.map((g) => readGridProvisional(realtime, groupBy, g, rtDates, nowMs))),
  ]);
  return groups.flatMap((g, k) => {
    const own = (windows.get(g) ?? []).filter((x) => coversInterval(coverage, x.startMs));
    const latest = own[own.length - 1];
    const points = mergeGridSeries({
      buckets,
      watermarkMs,
      coverage,
      authoritative: own,
      provisional: provisional[k]!,
      provisionalMetersTotal: latest ? latest.metersTotal : null,
    });
    return groupRows(g, metric, points, coverage, true);
  });
}
