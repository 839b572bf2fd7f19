/**
 * The uncached ground truth: wall-clock fields and UTC offsets straight from Intl (ICU's tz data).
 * Slow (microseconds per call); zone-rules.ts calls it only to fill its caches, and the tests compare
 * the cached answers against it. The 'gregory' calendar is proleptic Gregorian in Intl (as Date is;
 * ICU's 'iso8601' calendar switches to Julian before 1582); its years before 1 come as era BC.
 */
import { daysFromCivil } from './civil.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './constants.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone name (or alias) that Intl knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Throws a RangeError naming the zone unless Intl knows it. */
export function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${JSON.stringify(timeZone)}`);
}

/** Wall-clock time (to the second) in `timeZone` at instant `ms`, as epoch-style milliseconds. */
export function intlWallSecondsMs(ms: number, timeZone: string): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let beforeCommonEra = false;
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        beforeCommonEra = part.value === 'BC';
        break;
      default:
        break;
    }
  }
  if (beforeCommonEra) year = 1 - year;
  return daysFromCivil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS;
}

/** UTC offset of `timeZone` at instant `ms` in milliseconds (local wall time − UTC), uncached. */
export function intlOffsetMs(ms: number, timeZone: string): number {
  const wholeSecond = Math.floor(ms / SECOND_MS) * SECOND_MS;
  return intlWallSecondsMs(wholeSecond, timeZone) - wholeSecond;
}
