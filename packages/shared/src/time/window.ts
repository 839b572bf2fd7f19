/**
 * Aggregation windows for the steps of the API and the speed layer (SPEC 3.5, 6):
 *  - '15m' and '1h': real UTC-aligned quarter-hours and hours (the same instants in every zone);
 *  - '1d' and '1mo': local calendar days and months in the time zone (23/24/25-hour days on DST changes).
 * An interval belongs to the window containing its interval_start (never its end).
 *
 * Window keys (stable: Redis keys and Parquet partitions use them; sortable within a step):
 *  - '15m', '1h': the window's UTC start in whole minutes since 1970-01-01T00:00Z, as a decimal
 *    integer ('29584140' = 2026-03-29T01:00Z). 8 digits from 1989 to 2160, so string order = time order
 *    there; always parse numerically. Independent of the time zone.
 *  - '1d': the local date 'YYYY-MM-DD'.  - '1mo': the local month 'YYYY-MM'.
 */
import { parseDayNumber, parseMonthIndex } from './civil.ts';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS, assertInstant } from './constants.ts';
import type { TimeRange } from './interval.ts';
import { zoneRules } from './zone-rules.ts';

export const STEPS = ['15m', '1h', '1d', '1mo'] as const;
export type Step = (typeof STEPS)[number];

/** A window with its key. */
export interface Window extends TimeRange {
  readonly key: string;
}

export function isStep(s: string): s is Step {
  return (STEPS as readonly string[]).includes(s);
}

/** Start of the window of `step` containing instant `ms`. `timeZone` matters for '1d' and '1mo' only. */
export function windowStart(ms: number, step: Step, timeZone: string): number {
  switch (step) {
    case '15m':
      assertInstant(ms);
      return Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;
    case '1h':
      assertInstant(ms);
      return Math.floor(ms / HOUR_MS) * HOUR_MS;
    case '1d':
      return zoneRules(timeZone).dayContaining(ms).startMs;
    case '1mo':
      return zoneRules(timeZone).monthContaining(ms).startMs;
  }
}

/** [start, end) of the window of `step` containing instant `ms`. */
export function windowBounds(ms: number, step: Step, timeZone: string): TimeRange {
  switch (step) {
    case '15m':
    case '1h': {
      const startMs = windowStart(ms, step, timeZone);
      return { startMs, endMs: startMs + (step === '15m' ? INTERVAL_MS : HOUR_MS) };
    }
    case '1d': {
      const day = zoneRules(timeZone).dayContaining(ms);
      return { startMs: day.startMs, endMs: day.endMs };
    }
    case '1mo': {
      const month = zoneRules(timeZone).monthContaining(ms);
      return { startMs: month.startMs, endMs: month.endMs };
    }
  }
}

/** Key of the window of `step` containing instant `ms` (format in the module comment). */
export function windowKey(ms: number, step: Step, timeZone: string): string {
  switch (step) {
    case '15m':
      assertInstant(ms);
      return String(Math.floor(ms / INTERVAL_MS) * 15);
    case '1h':
      assertInstant(ms);
      return String(Math.floor(ms / HOUR_MS) * 60);
    case '1d':
      return zoneRules(timeZone).dayContaining(ms).date;
    case '1mo':
      return zoneRules(timeZone).monthContaining(ms).month;
  }
}

const EPOCH_MINUTES = /^(0|-?[1-9][0-9]*)$/;

/** Bounds of the window named by `key` (the inverse of windowKey); throws a RangeError for a malformed key. */
export function windowBoundsOfKey(key: string, step: Step, timeZone: string): TimeRange {
  switch (step) {
    case '15m':
    case '1h': {
      const minutes = EPOCH_MINUTES.test(key) ? Number(key) : NaN;
      const stepMinutes = step === '15m' ? 15 : 60;
      if (!Number.isSafeInteger(minutes) || minutes % stepMinutes !== 0) {
        throw new RangeError(`invalid ${step} window key: ${JSON.stringify(key)}`);
      }
      const startMs = minutes * MINUTE_MS;
      assertInstant(startMs);
      return { startMs, endMs: startMs + stepMinutes * MINUTE_MS };
    }
    case '1d': {
      const dayNumber = parseDayNumber(key);
      if (Number.isNaN(dayNumber)) throw new RangeError(`invalid 1d window key: ${JSON.stringify(key)}`);
      const day = zoneRules(timeZone).localDay(dayNumber);
      return { startMs: day.startMs, endMs: day.endMs };
    }
    case '1mo': {
      const monthIndex = parseMonthIndex(key);
      if (Number.isNaN(monthIndex)) throw new RangeError(`invalid 1mo window key: ${JSON.stringify(key)}`);
      const month = zoneRules(timeZone).localMonth(monthIndex);
      return { startMs: month.startMs, endMs: month.endMs };
    }
  }
}

/**
 * The windows of `step` that cover [fromMs, toMs), in order: the first contains fromMs, the last
 * contains toMs − 1, each ends where the next starts. Empty when toMs ≤ fromMs. Days skipped by a
 * zone (empty local days) never appear.
 */
export function windowsBetween(fromMs: number, toMs: number, step: Step, timeZone: string): Window[] {
  assertInstant(fromMs);
  assertInstant(toMs);
  const windows: Window[] = [];
  let t = fromMs;
  while (t < toMs) {
    const bounds = windowBounds(t, step, timeZone);
    windows.push({ startMs: bounds.startMs, endMs: bounds.endMs, key: windowKey(t, step, timeZone) });
    t = bounds.endMs;
  }
  return windows;
}
