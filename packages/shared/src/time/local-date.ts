/**
 * Local calendar days in a time zone (SPEC 3.5). A local date is the string 'YYYY-MM-DD'; its bounds
 * are [first instant of the day, first instant of the next day). DST days are 23 or 25 hours long
 * (92 or 100 intervals in Europe/Stockholm); zone-rules.ts defines the edge cases.
 */
import { formatDayNumber, parseDayNumber, weekdayOfDayNumber } from './civil.ts';
import { INTERVAL_MS } from './constants.ts';
import { alignToIntervalStart, intervalCount, intervalStartsIn, type TimeRange } from './interval.ts';
import { zoneRules } from './zone-rules.ts';

/** True for a strict 'YYYY-MM-DD' string naming a real calendar day (years 0001–9999). */
export function isValidLocalDate(s: string): boolean {
  return !Number.isNaN(parseDayNumber(s));
}

/** Day number of a local date; throws a RangeError for an invalid one. */
export function dayNumberOf(date: string): number {
  const n = parseDayNumber(date);
  if (Number.isNaN(n)) throw new RangeError(`invalid local date (want YYYY-MM-DD): ${JSON.stringify(date)}`);
  return n;
}

/** The local date ('YYYY-MM-DD') in `timeZone` of instant `ms`. Hot path: a few comparisons once cached. */
export function localDate(ms: number, timeZone: string): string {
  return zoneRules(timeZone).dayContaining(ms).date;
}

/** [first instant of `date`, first instant of the next day) in `timeZone`. */
export function localDayBounds(date: string, timeZone: string): TimeRange {
  const day = zoneRules(timeZone).localDay(dayNumberOf(date));
  return { startMs: day.startMs, endMs: day.endMs };
}

/** Number of 15-minute intervals whose start falls in the local day (92/96/100 in Europe/Stockholm). */
export function intervalsInLocalDay(date: string, timeZone: string): number {
  return intervalCount(zoneRules(timeZone).localDay(dayNumberOf(date)));
}

/** Starts of the intervals attributed to the local day (by interval start), ascending. */
export function intervalStartsOfLocalDay(date: string, timeZone: string): number[] {
  return intervalStartsIn(zoneRules(timeZone).localDay(dayNumberOf(date)));
}

/**
 * Position (0-based) of the interval containing instant `ms` among the intervals of its local day:
 * 0 … intervalsInLocalDay − 1. A compact slot number, e.g. for per-day Redis hash fields.
 */
export function intervalIndexInLocalDay(ms: number, timeZone: string): number {
  const day = zoneRules(timeZone).dayContaining(ms);
  return (alignToIntervalStart(ms) - Math.ceil(day.startMs / INTERVAL_MS) * INTERVAL_MS) / INTERVAL_MS;
}

/** `date` plus `days` calendar days (negative to go back). */
export function addLocalDays(date: string, days: number): string {
  if (!Number.isInteger(days)) throw new RangeError(`days must be an integer: ${days}`);
  return formatDayNumber(dayNumberOf(date) + days);
}

/** Calendar days from `date` to `otherDate` (positive when `otherDate` is later). */
export function localDaysBetween(date: string, otherDate: string): number {
  return dayNumberOf(otherDate) - dayNumberOf(date);
}

/** Every local date from `fromDate` to `toDate`, both inclusive; empty when `toDate` is earlier. */
export function localDatesBetween(fromDate: string, toDate: string): string[] {
  const first = dayNumberOf(fromDate);
  const last = dayNumberOf(toDate);
  const dates: string[] = [];
  for (let d = first; d <= last; d++) dates.push(formatDayNumber(d));
  return dates;
}

/** ISO weekday of a local date: 1 = Monday … 7 = Sunday. */
export function weekdayOfLocalDate(date: string): number {
  return weekdayOfDayNumber(dayNumberOf(date));
}
