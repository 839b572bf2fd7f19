/**
 * The simulated time line: every 15-minute interval of the simulated local days, with the
 * timestamp strings each message needs formatted once per interval (shared by all meters).
 */
import {
  INTERVAL_MS,
  addLocalDays,
  formatIsoOffset,
  intervalStartsOfLocalDay,
  localDatesBetween,
  localDayBounds,
  localParts,
} from '@ami/shared/time';

export interface IntervalSlot {
  /** Position in the whole simulation, 0-based. */
  readonly index: number;
  /** Simulated local day (0-based) the interval is attributed to. */
  readonly day: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly startIso: string;
  readonly endIso: string;
  /** endIso up to and including the hour ('2026-03-29T03:'), for read_ts = end + a few minutes. */
  readonly endHourPrefix: string;
  /** Local minute of interval_end (0, 15, 30 or 45 in whole-hour-offset zones). */
  readonly endMinute: number;
  /** endIso's offset part ('+02:00'). */
  readonly endOffset: string;
  /** True when interval_end is a local midnight: DAILY register reads are taken at it. */
  readonly endsDay: boolean;
  /** Local wall clock at the interval's middle, as fractional hours 0–24. */
  readonly localHour: number;
  /** ISO weekday of the interval's start (1 = Monday). */
  readonly weekday: number;
  /** Day of the year (0–365) of the interval's start, for seasonal factors. */
  readonly dayOfYear: number;
}

export interface SimCalendar {
  readonly dates: readonly string[];
  readonly slots: readonly IntervalSlot[];
  /** First instant of the first day and of the day after the last one. */
  readonly startMs: number;
  readonly endMs: number;
  /** Index of the first slot of each day, plus slots.length at the end. */
  readonly dayFirstSlot: readonly number[];
  /** The local midnight instants at which DAILY register reads are taken: day starts and the end. */
  readonly midnightsIso: readonly string[];
}

const MONTH_START_DOY = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** The calendar of `days` local days from `startDate` in `timeZone`. */
export function buildCalendar(startDate: string, days: number, timeZone: string): SimCalendar {
  const dates = localDatesBetween(startDate, addLocalDays(startDate, days - 1));
  const slots: IntervalSlot[] = [];
  const dayFirstSlot: number[] = [];
  const midnightsIso: string[] = [];
  const startMs = localDayBounds(startDate, timeZone).startMs;
  const endMs = localDayBounds(addLocalDays(startDate, days), timeZone).startMs;
  dates.forEach((date, day) => {
    dayFirstSlot.push(slots.length);
    midnightsIso.push(formatIsoOffset(localDayBounds(date, timeZone).startMs, timeZone));
    const starts = intervalStartsOfLocalDay(date, timeZone);
    const lastStart = starts[starts.length - 1];
    for (const s of starts) {
      const e = s + INTERVAL_MS;
      const endIso = formatIsoOffset(e, timeZone);
      const mid = localParts(s + INTERVAL_MS / 2, timeZone);
      const start = localParts(s, timeZone);
      slots.push({
        index: slots.length,
        day,
        startMs: s,
        endMs: e,
        startIso: formatIsoOffset(s, timeZone),
        endIso,
        endHourPrefix: endIso.slice(0, 14),
        endMinute: Number(endIso.slice(14, 16)),
        endOffset: endIso.slice(19),
        endsDay: s === lastStart,
        localHour: mid.hour + mid.minute / 60 + mid.second / 3600,
        weekday: start.weekday,
        dayOfYear: (MONTH_START_DOY[start.month - 1] ?? 0) + start.day - 1,
      });
    }
  });
  dayFirstSlot.push(slots.length);
  midnightsIso.push(formatIsoOffset(endMs, timeZone));
  return { dates, slots, startMs, endMs, dayFirstSlot, midnightsIso };
}
