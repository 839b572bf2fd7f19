/**
 * Which local dates (and months) each side of the watermark must be read for: the batch views for
 * the intervals of a span before the watermark, the realtime view for those at or after it.
 */
import { localDate, localDatesBetween, type TimeRange } from '@ami/shared/time';
import type { Bucket } from './buckets.ts';
import { effectiveWatermark } from './watermark-split.ts';

/** Local dates of the intervals starting in [startMs, endMs); empty when the range is empty. */
export function localDatesOfRange(range: TimeRange, timeZone: string): string[] {
  if (range.endMs <= range.startMs) return [];
  return localDatesBetween(localDate(range.startMs, timeZone), localDate(range.endMs - 1, timeZone));
}

/** The part of `span` before the watermark (batch) and the part at or after it (realtime). */
export function splitSpan(
  span: TimeRange,
  watermarkMs: number | null,
): { batch: TimeRange; realtime: TimeRange } {
  const cut = Math.min(span.endMs, Math.max(span.startMs, effectiveWatermark(watermarkMs)));
  return { batch: { startMs: span.startMs, endMs: cut }, realtime: { startMs: cut, endMs: span.endMs } };
}

/** [first bucket start, last bucket end); an empty range at 0 when there are no buckets. */
export function spanOf(buckets: readonly Bucket[]): TimeRange {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return first && last ? { startMs: first.startMs, endMs: last.endMs } : { startMs: 0, endMs: 0 };
}
