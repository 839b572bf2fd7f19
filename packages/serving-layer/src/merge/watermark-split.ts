/**
 * The SPEC 6 merge rule with ONE cut, the watermark: an interval comes from the batch views when its
 * start is before the watermark, from the realtime view otherwise. A bucket ending at or before the
 * watermark is `authoritative`, one starting at or after it `provisional`, one straddling it is
 * assembled from both parts and labelled `provisional`; a bucket where no interval has a value on
 * either side is `missing`. No watermark (nothing published) = everything is realtime.
 *
 * This is the special case of coverage.ts (the rule per published local day, which the routes use)
 * when every day before the watermark is published; it remains for callers that know only a
 * watermark.
 */
import { intervalCount } from '@ami/shared/time';
import type { Bucket } from './buckets.ts';

export const SERIES_STATUSES = ['authoritative', 'provisional', 'missing'] as const;
export type SeriesStatus = (typeof SERIES_STATUSES)[number];

/** The watermark as a number every comparison can use (−∞ when nothing is published). */
export function effectiveWatermark(watermarkMs: number | null): number {
  return watermarkMs ?? -Infinity;
}

export interface BucketSplit {
  /** Intervals of the bucket that the batch views answer (start < watermark). */
  readonly batchIntervals: number;
  /** Intervals of the bucket that the realtime view answers (start ≥ watermark). */
  readonly realtimeIntervals: number;
}

/** How many of a bucket's intervals fall on each side of the watermark. */
export function splitBucket(bucket: Bucket, watermarkMs: number | null): BucketSplit {
  const w = effectiveWatermark(watermarkMs);
  const cut = Math.min(bucket.endMs, Math.max(bucket.startMs, w));
  return {
    batchIntervals: intervalCount({ startMs: bucket.startMs, endMs: cut }),
    realtimeIntervals: intervalCount({ startMs: cut, endMs: bucket.endMs }),
  };
}

/** Status of a bucket given whether any of its intervals has a value. */
export function bucketStatus(bucket: Bucket, watermarkMs: number | null, hasValue: boolean): SeriesStatus {
  if (!hasValue) return 'missing';
  return bucket.endMs <= effectiveWatermark(watermarkMs) ? 'authoritative' : 'provisional';
}

/** True when an interval starting at `startMs` is answered by the batch views. */
export function isBatchInterval(startMs: number, watermarkMs: number | null): boolean {
  return startMs < effectiveWatermark(watermarkMs);
}
