/** Fixed durations in milliseconds (instants are UTC epoch milliseconds everywhere). */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** A UTC day (86 400 s). A *local* day may be 23, 24 or 25 hours (or other lengths): see local-date.ts. */
export const DAY_MS = 86_400_000;
/** Length of a metering interval: 15 minutes, aligned to :00/:15/:30/:45 UTC (SPEC 3.2). */
export const INTERVAL_MS = 900_000;

/**
 * Instants this module supports: 0001-01-02T00:00Z up to (excluding) 9999-12-31T00:00Z, so that every
 * local date in any zone has a four-digit year. Functions throw a RangeError outside this range.
 */
export const MIN_INSTANT_MS = -62_135_510_400_000;
export const MAX_INSTANT_MS = 253_402_214_400_000;

/** Throws a RangeError unless `ms` is a finite instant in the supported range. */
export function assertInstant(ms: number): void {
  if (!(ms >= MIN_INSTANT_MS && ms < MAX_INSTANT_MS)) {
    throw new RangeError(`instant out of range or not a number: ${ms}`);
  }
}
