/**
 * Local wall-clock fields of an instant, for rules written in local time (TOU calendars: peak is
 * Monday–Friday 06:00–22:00 local, November–March). These are the wall clock's fields; the local
 * *day* an instant is attributed to is localDate (the two differ only in zones whose clocks fall
 * back across midnight, see zone-rules.ts).
 */
import { civilFromDays, weekdayOfDayNumber } from './civil.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './constants.ts';
import { zoneRules } from './zone-rules.ts';

export interface LocalParts {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  /** 1–31 */
  readonly day: number;
  /** 0–23 */
  readonly hour: number;
  /** 0–59 */
  readonly minute: number;
  /** 0–59 */
  readonly second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

/** UTC offset (local wall time − UTC) of `timeZone` at instant `ms`, in milliseconds. */
export function utcOffsetMs(ms: number, timeZone: string): number {
  return zoneRules(timeZone).offsetAt(ms);
}

/** Wall-clock fields in `timeZone` at instant `ms`. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const wall = ms + zoneRules(timeZone).offsetAt(ms);
  const dayNumber = Math.floor(wall / DAY_MS);
  const msOfDay = wall - dayNumber * DAY_MS;
  const { year, month, day } = civilFromDays(dayNumber);
  return {
    year,
    month,
    day,
    hour: Math.floor(msOfDay / HOUR_MS),
    minute: Math.floor((msOfDay % HOUR_MS) / MINUTE_MS),
    second: Math.floor((msOfDay % MINUTE_MS) / SECOND_MS),
    weekday: weekdayOfDayNumber(dayNumber),
  };
}
