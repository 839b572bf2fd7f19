/**
 * Local calendar months ('YYYY-MM') in a time zone: month '2026-03' runs from the first instant of
 * 2026-03-01 to the first instant of 2026-04-01 in the zone.
 */
import {
  daysInMonth,
  firstDayOfMonthIndex,
  formatDayNumber,
  formatMonthIndex,
  parseMonthIndex,
} from './civil.ts';
import type { TimeRange } from './interval.ts';
import { dayNumberOf } from './local-date.ts';
import { zoneRules } from './zone-rules.ts';

/** True for a strict 'YYYY-MM' string (years 0001–9999). */
export function isValidLocalMonth(s: string): boolean {
  return !Number.isNaN(parseMonthIndex(s));
}

function monthIndexOf(month: string): number {
  const n = parseMonthIndex(month);
  if (Number.isNaN(n)) throw new RangeError(`invalid local month (want YYYY-MM): ${JSON.stringify(month)}`);
  return n;
}

/** The local month ('YYYY-MM') in `timeZone` of instant `ms`. */
export function localMonth(ms: number, timeZone: string): string {
  return zoneRules(timeZone).monthContaining(ms).month;
}

/** [first instant of the month's first day, first instant of the next month) in `timeZone`. */
export function localMonthBounds(month: string, timeZone: string): TimeRange {
  const m = zoneRules(timeZone).localMonth(monthIndexOf(month));
  return { startMs: m.startMs, endMs: m.endMs };
}

/** The month ('YYYY-MM') a local date belongs to. */
export function localMonthOfDate(date: string): string {
  dayNumberOf(date);
  return date.slice(0, 7);
}

/** Every local date of the month, in order. */
export function localDatesOfMonth(month: string): string[] {
  const index = monthIndexOf(month);
  const first = firstDayOfMonthIndex(index);
  const year = Math.floor(index / 12);
  const count = daysInMonth(year, index - year * 12 + 1);
  const dates: string[] = [];
  for (let i = 0; i < count; i++) dates.push(formatDayNumber(first + i));
  return dates;
}

/** `month` plus `months` calendar months (negative to go back). */
export function addLocalMonths(month: string, months: number): string {
  if (!Number.isInteger(months)) throw new RangeError(`months must be an integer: ${months}`);
  return formatMonthIndex(monthIndexOf(month) + months);
}

/** Every month from `fromMonth` to `toMonth`, both inclusive; empty when `toMonth` is earlier. */
export function localMonthsBetween(fromMonth: string, toMonth: string): string[] {
  const months: string[] = [];
  for (let m = monthIndexOf(fromMonth), last = monthIndexOf(toMonth); m <= last; m++) {
    months.push(formatMonthIndex(m));
  }
  return months;
}
