/**
 * Metering intervals (SPEC 3.2): 15 minutes, starting at :00/:15/:30/:45 UTC (which is also local
 * :00/:15/:30/:45 in every zone whose offset is a multiple of 15 minutes — all zones in use today).
 */
import { INTERVAL_MS } from './constants.ts';

export { INTERVAL_MS };

/** A half-open span of instants [startMs, endMs). */
export interface TimeRange {
  readonly startMs: number;
  readonly endMs: number;
}

/** True when `ms` is an integer instant on a 15-minute boundary. */
export function isAlignedIntervalStart(ms: number): boolean {
  return ms % INTERVAL_MS === 0;
}

/** Start of the interval containing instant `ms` (floors to the 15-minute boundary). */
export function alignToIntervalStart(ms: number): number {
  return Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;
}

/** End (exclusive) of the interval that starts at `startMs`; throws a RangeError for an unaligned start. */
export function intervalEnd(startMs: number): number {
  if (startMs % INTERVAL_MS !== 0) throw new RangeError(`not an interval start: ${startMs}`);
  return startMs + INTERVAL_MS;
}

/** Attribution rule (SPEC 3.5): a window contains an interval iff window.start ≤ interval_start < window.end. */
export function containsIntervalStart(window: TimeRange, intervalStartMs: number): boolean {
  return window.startMs <= intervalStartMs && intervalStartMs < window.endMs;
}

/** Number of aligned interval starts s with startMs ≤ s < endMs. */
export function intervalCount(range: TimeRange): number {
  return Math.max(0, Math.ceil(range.endMs / INTERVAL_MS) - Math.ceil(range.startMs / INTERVAL_MS));
}

/** The aligned interval starts s with startMs ≤ s < endMs, ascending. */
export function intervalStartsIn(range: TimeRange): number[] {
  const first = Math.ceil(range.startMs / INTERVAL_MS) * INTERVAL_MS;
  const starts: number[] = [];
  for (let s = first; s < range.endMs; s += INTERVAL_MS) starts.push(s);
  return starts;
}
