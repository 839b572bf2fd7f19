/**
 * Which intervals the batch views answer — the SPEC 6 merge rule decided per local day.
 *
 * The pinned catalog's published days decide (`PinnedCatalog.publishedDays()`, @ami/shared/catalog:
 * a day is published when every daily view has the date and every monthly view its month). An
 * interval whose local day is published is answered by the batch views, and so is one before the
 * first published day (nothing was ever published there: the batch's answer is "no data", as it
 * always was). Any other interval — after the watermark, or on an unpublished day inside the
 * published range (a gap, e.g. the days around an old day a late read published alone) — is
 * answered by the realtime view if it holds it, else it has no value. A coverage is the
 * batch-answered time as disjoint ascending ranges, one per run of consecutive published days (the
 * first one open towards the past).
 *
 * `watermarkCoverage` is the rule with one cut, the watermark: every interval starting before it is
 * batch. When the published days form one run (the normal case: every day from the first published
 * one to the watermark is published) both coverages are the same. Pure.
 */
import { intervalCount, localDayBounds, type TimeRange } from '@ami/shared/time';
import type { PublishedDays } from '@ami/shared/catalog';
import type { Bucket } from './buckets.ts';
import { localDatesOfRange } from './dates.ts';
import type { BucketSplit, SeriesStatus } from './watermark-split.ts';

export interface BatchCoverage {
  /** The time the batch views answer: disjoint ranges, ascending, each a whole number of intervals. */
  readonly ranges: readonly TimeRange[];
}

/** Every interval starting before `watermarkMs` is batch; nothing when null (nothing published). */
export function watermarkCoverage(watermarkMs: number | null): BatchCoverage {
  return { ranges: watermarkMs === null ? [] : [{ startMs: -Infinity, endMs: watermarkMs }] };
}

/**
 * The coverage of a catalog's published days in `timeZone`: the intervals of each run of consecutive
 * published days, the first run extended to everything before it; nothing when nothing is published.
 */
export function publishedCoverage(published: Pick<PublishedDays, 'runs'>, timeZone: string): BatchCoverage {
  return {
    ranges: published.runs.map((r, i) => ({
      startMs: i === 0 ? -Infinity : localDayBounds(r.first, timeZone).startMs,
      endMs: localDayBounds(r.last, timeZone).endMs,
    })),
  };
}

/** Index of the range holding `ms`, or −1. */
function rangeIndexOf(c: BatchCoverage, ms: number): number {
  let lo = 0;
  let hi = c.ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = c.ranges[mid]!;
    if (ms < r.startMs) hi = mid - 1;
    else if (ms >= r.endMs) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** True when the interval starting at `startMs` is answered by the batch views. */
export function coversInterval(c: BatchCoverage, startMs: number): boolean {
  return rangeIndexOf(c, startMs) >= 0;
}

/** True when all of [startMs, endMs) is answered by the batch views (an empty range is not). */
export function coversRange(c: BatchCoverage, range: TimeRange): boolean {
  if (range.endMs <= range.startMs) return false;
  const i = rangeIndexOf(c, range.startMs);
  return i >= 0 && c.ranges[i]!.endMs >= range.endMs;
}

/** The parts of `range` the batch views answer, ascending. */
export function batchParts(c: BatchCoverage, range: TimeRange): TimeRange[] {
  const out: TimeRange[] = [];
  for (const r of c.ranges) {
    if (r.endMs <= range.startMs) continue;
    if (r.startMs >= range.endMs) break;
    out.push({ startMs: Math.max(r.startMs, range.startMs), endMs: Math.min(r.endMs, range.endMs) });
  }
  return out;
}

/** The parts of `range` the realtime view answers (the complement of `batchParts`), ascending. */
export function realtimeParts(c: BatchCoverage, range: TimeRange): TimeRange[] {
  const out: TimeRange[] = [];
  let at = range.startMs;
  for (const b of batchParts(c, range)) {
    if (b.startMs > at) out.push({ startMs: at, endMs: b.startMs });
    at = b.endMs;
  }
  if (at < range.endMs) out.push({ startMs: at, endMs: range.endMs });
  return out;
}

/** How many of the intervals of `range` the batch views answer. */
export function batchIntervalsIn(c: BatchCoverage, range: TimeRange): number {
  return batchParts(c, range).reduce((n, p) => n + intervalCount(p), 0);
}

/** Local dates of the intervals in `parts` (disjoint, ascending), ascending, without duplicates. */
export function localDatesOfParts(parts: readonly TimeRange[], timeZone: string): string[] {
  const out: string[] = [];
  for (const p of parts)
    for (const d of localDatesOfRange(p, timeZone)) if (out[out.length - 1] !== d) out.push(d);
  return out;
}

/** The local dates of `span` whose intervals (some or all) the batch views answer. */
export function batchDatesOf(c: BatchCoverage, span: TimeRange, timeZone: string): string[] {
  return localDatesOfParts(batchParts(c, span), timeZone);
}

/** The local dates of `span` whose intervals (some or all) the realtime view answers. */
export function realtimeDatesOf(c: BatchCoverage, span: TimeRange, timeZone: string): string[] {
  return localDatesOfParts(realtimeParts(c, span), timeZone);
}

/** True when every interval of the bucket is answered by the batch views. */
export function isBatchBucket(c: BatchCoverage, bucket: Bucket): boolean {
  return coversRange(c, bucket);
}

/** How many of a bucket's intervals each side answers. */
export function splitBucketBy(c: BatchCoverage, bucket: Bucket): BucketSplit {
  const batchIntervals = batchIntervalsIn(c, bucket);
  return { batchIntervals, realtimeIntervals: intervalCount(bucket) - batchIntervals };
}

/**
 * Status of a bucket: `missing` when none of its intervals has a value; `authoritative` when every
 * interval is answered by the batch views (all its local days published); else `provisional` (some
 * interval is the realtime view's, or unpublished and without a value).
 */
export function bucketStatusBy(c: BatchCoverage, bucket: Bucket, hasValue: boolean): SeriesStatus {
  if (!hasValue) return 'missing';
  return isBatchBucket(c, bucket) ? 'authoritative' : 'provisional';
}
