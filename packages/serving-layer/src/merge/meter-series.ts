/**
 * Merge of a meter's series (SPEC 6): authoritative cells from the batch views and provisional
 * intervals from the realtime view, rolled up into buckets with integer Wh and quality counts.
 *
 * Which side answers an interval is decided per interval by the batch coverage (coverage.ts): the
 * intervals of the local days the pinned catalog has published come from the batch views, every
 * other interval (after the watermark, or on an unpublished day before it) from the realtime view.
 * Without a coverage the watermark is the one cut (watermark-split.ts).
 *
 * An authoritative cell is a span of whole intervals from one batch row: one interval
 * (intervals_validated), one local day (meter_daily) or one local month (meter_monthly); its quality
 * counts say how many of its intervals are in each class. A cell must lie wholly in the batch
 * coverage and inside one bucket (the sources choose the view whose rows nest in the step's
 * buckets); a cell starting outside the coverage is ignored. Batch intervals that no cell covers
 * count as missing; so do realtime intervals without a read. A realtime interval whose read the
 * head-end flagged as estimated (estimated_flag) counts as estimated, any other read as actual — the
 * same class the batch layer gives it (a head-end estimate is class E, method HEAD_END).
 */
import { assertInstant, isAlignedIntervalStart } from '@ami/shared/time';
import type { MeterTailInterval } from '@ami/speed-layer/realtime-view';
import { bucketIndexOf, type Bucket } from './buckets.ts';
import {
  bucketStatusBy,
  coversInterval,
  coversRange,
  splitBucketBy,
  watermarkCoverage,
  type BatchCoverage,
} from './coverage.ts';
import { addQuality, emptyQuality, qualityTotal, valuedIntervals, type QualityCounts } from './quality.ts';
import type { SeriesStatus } from './watermark-split.ts';

export interface AuthoritativeMeterCell {
  readonly startMs: number;
  readonly endMs: number;
  /** Energy of the cell's intervals, Wh (missing intervals contribute 0). */
  readonly wh: number;
  readonly quality: QualityCounts;
}

/** A provisional interval as the speed layer's read contract returns it. */
export type ProvisionalMeterInterval = MeterTailInterval;

export interface MeterPoint {
  readonly startMs: number;
  readonly endMs: number;
  /** Sum of the bucket's valued intervals, Wh; null when status is 'missing'. */
  readonly wh: number | null;
  readonly status: SeriesStatus;
  readonly quality: QualityCounts;
}

export interface MeterMergeInput {
  readonly buckets: readonly Bucket[];
  readonly watermarkMs: number | null;
  /** Which intervals the batch views answer; default: those starting before `watermarkMs`. */
  readonly coverage?: BatchCoverage;
  readonly authoritative: readonly AuthoritativeMeterCell[];
  readonly provisional: readonly ProvisionalMeterInterval[];
}

export function mergeMeterSeries(input: MeterMergeInput): MeterPoint[] {
  const { buckets, watermarkMs } = input;
  const coverage = input.coverage ?? watermarkCoverage(watermarkMs);
  const acc = buckets.map(() => ({
    wh: 0,
    batch: emptyQuality(),
    realtime: 0,
    realtimeEstimated: 0,
    realtimeWh: 0,
  }));

  for (const cell of input.authoritative) {
    if (!coversInterval(coverage, cell.startMs)) continue; // the realtime view answers there
    if (!coversRange(coverage, cell)) {
      throw new RangeError(
        `authoritative cell [${cell.startMs}, ${cell.endMs}) crosses the watermark ${watermarkMs ?? -Infinity} ` +
          'or an unpublished day',
      );
    }
    const i = bucketIndexOf(buckets, cell.startMs);
    if (i < 0) continue;
    const b = acc[i]!;
    if (cell.endMs > buckets[i]!.endMs) {
      throw new RangeError(`authoritative cell [${cell.startMs}, ${cell.endMs}) spans several buckets`);
    }
    b.wh += cell.wh;
    addQuality(b.batch, cell.quality);
  }

  const seen = new Set<number>();
  for (const iv of input.provisional) {
    assertInstant(iv.startMs);
    if (!isAlignedIntervalStart(iv.startMs)) throw new RangeError(`not an interval start: ${iv.startMs}`);
    if (coversInterval(coverage, iv.startMs)) continue; // the batch views answer there
    if (seen.has(iv.startMs)) throw new RangeError(`provisional interval ${iv.startMs} given twice`);
    seen.add(iv.startMs);
    const i = bucketIndexOf(buckets, iv.startMs);
    if (i < 0) continue;
    const a = acc[i]!;
    a.realtime += 1;
    if (iv.estimated) a.realtimeEstimated += 1;
    a.realtimeWh += iv.wh;
  }

  return buckets.map((bucket, i) => {
    const a = acc[i]!;
    const split = splitBucketBy(coverage, bucket);
    const covered = qualityTotal(a.batch);
    if (covered > split.batchIntervals) {
      throw new RangeError(
        `authoritative cells cover ${covered} intervals of a bucket with ${split.batchIntervals} the batch answers`,
      );
    }
    const quality: QualityCounts = {
      ...a.batch,
      actual: a.batch.actual + a.realtime - a.realtimeEstimated,
      estimated: a.batch.estimated + a.realtimeEstimated,
      missing: a.batch.missing + (split.batchIntervals - covered) + (split.realtimeIntervals - a.realtime),
    };
    const status = bucketStatusBy(coverage, bucket, valuedIntervals(quality) > 0);
    return {
      startMs: bucket.startMs,
      endMs: bucket.endMs,
      wh: status === 'missing' ? null : a.wh + a.realtimeWh,
      status,
      quality,
    };
  });
}
