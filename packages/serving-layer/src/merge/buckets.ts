/**
 * Buckets of a series request (SPEC 3.5, 6): the windows of `step` covering [from, to). '15m' and
 * '1h' are real UTC-aligned windows, '1d' and '1mo' local days and months in AMI_TIMEZONE (a DST day
 * is one bucket of 92 or 100 intervals). A request boundary inside a window widens the request to the
 * whole window, so every bucket is a whole window. Window rules come from @ami/shared/time.
 */
import { windowsBetween, type Step, type TimeRange } from '@ami/shared/time';

export type Bucket = TimeRange;

/** The whole windows of `step` covering [fromMs, toMs), in order; empty when toMs ≤ fromMs. */
export function seriesBuckets(fromMs: number, toMs: number, step: Step, timeZone: string): Bucket[] {
  return windowsBetween(fromMs, toMs, step, timeZone).map((w) => ({ startMs: w.startMs, endMs: w.endMs }));
}

/** Finds the bucket holding an instant (buckets contiguous and ascending): its index, or −1. */
export function bucketIndexOf(buckets: readonly Bucket[], ms: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = buckets[mid]!;
    if (ms < b.startMs) hi = mid - 1;
    else if (ms >= b.endMs) lo = mid + 1;
    else return mid;
  }
  return -1;
}
