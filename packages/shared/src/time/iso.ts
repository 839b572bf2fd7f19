/**
 * ISO-8601 / RFC 3339 instants at the system's edges (SPEC 3.5: APIs accept and return ISO-8601 with
 * offset; stored values are UTC epoch milliseconds).
 *
 * Accepted input (parseIsoInstant), nothing else: `YYYY-MM-DDTHH:MM:SS[.f…]` + `Z` or `±HH:MM`
 *  - four-digit year 0000–9999, a real calendar day, hour 00–23, minute and second 00–59 (no leap
 *    second, no 24:00); 'T' and 'Z' may be lower case (RFC 3339 §5.6); '-00:00' means UTC;
 *  - fraction: 1–9 digits, truncated to milliseconds (as Date.parse does);
 *  - offset hours 00–23, minutes 00–59. No offset, a date alone, or minutes without seconds → NaN:
 *    the platform never guesses a local time.
 *
 * Canonical output:
 *  - formatIsoUtc: 'YYYY-MM-DDTHH:MM:SSZ', with '.sss' only when the millisecond part is non-zero;
 *  - formatIsoOffset: local wall time and the zone's offset, 'YYYY-MM-DDTHH:MM:SS[.sss]±HH:MM'
 *    (offset zero is written '+00:00'). For the rare historical offsets that are not whole minutes
 *    (local mean time before ~1900) it falls back to the formatIsoUtc form, so parse(format(x)) = x always.
 */
import {
  TWO_DIGITS,
  daysFromCivil,
  daysInMonth,
  formatDayNumber,
  fourDigitsAt,
  pad2,
  pad3,
  twoDigitsAt,
} from './civil.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, assertInstant } from './constants.ts';
import { zoneRules } from './zone-rules.ts';

const CHAR_DASH = 45;
const CHAR_COLON = 58;
const CHAR_DOT = 46;
const CHAR_PLUS = 43;
const CHAR_T = 84;
const CHAR_t = 116;
const CHAR_Z = 90;
const CHAR_z = 122;
const CHAR_0 = 48;

/** Epoch milliseconds of an ISO-8601 instant with explicit offset (grammar above), or NaN. */
export function parseIsoInstant(s: string): number {
  const n = s.length;
  if (n < 20 || n > 35) return NaN;
  const year = fourDigitsAt(s, 0);
  const month = twoDigitsAt(s, 5);
  const day = twoDigitsAt(s, 8);
  const hour = twoDigitsAt(s, 11);
  const minute = twoDigitsAt(s, 14);
  const second = twoDigitsAt(s, 17);
  const t = s.charCodeAt(10);
  if (
    year < 0 ||
    s.charCodeAt(4) !== CHAR_DASH ||
    s.charCodeAt(7) !== CHAR_DASH ||
    (t !== CHAR_T && t !== CHAR_t) ||
    s.charCodeAt(13) !== CHAR_COLON ||
    s.charCodeAt(16) !== CHAR_COLON ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return NaN;
  }
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === CHAR_DOT) {
    i++;
    const fractionStart = i;
    while (i < n) {
      const digit = s.charCodeAt(i) - CHAR_0;
      if (digit < 0 || digit > 9) break;
      if (i - fractionStart < 3) millis = millis * 10 + digit;
      i++;
    }
    const digits = i - fractionStart;
    if (digits === 0 || digits > 9) return NaN;
    if (digits === 1) millis *= 100;
    else if (digits === 2) millis *= 10;
  }
  let offsetMs = 0;
  const sign = s.charCodeAt(i);
  if (sign === CHAR_Z || sign === CHAR_z) {
    if (n !== i + 1) return NaN;
  } else if (sign === CHAR_PLUS || sign === CHAR_DASH) {
    if (n !== i + 6 || s.charCodeAt(i + 3) !== CHAR_COLON) return NaN;
    const offsetHours = twoDigitsAt(s, i + 1);
    const offsetMinutes = twoDigitsAt(s, i + 4);
    if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return NaN;
    offsetMs = (sign === CHAR_PLUS ? 1 : -1) * (offsetHours * HOUR_MS + offsetMinutes * MINUTE_MS);
  } else {
    return NaN;
  }
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    hour * HOUR_MS +
    minute * MINUTE_MS +
    second * SECOND_MS +
    millis -
    offsetMs
  );
}

function assertFormattable(ms: number): void {
  assertInstant(ms);
  if (!Number.isInteger(ms)) throw new RangeError(`instant must be whole milliseconds: ${ms}`);
}

// The date part changes rarely between consecutive calls: remember the last one.
let memoDayNumber = NaN;
let memoDate = '';

function formatWallTime(wallMs: number, suffix: string): string {
  const dayNumber = Math.floor(wallMs / DAY_MS);
  if (dayNumber !== memoDayNumber) {
    memoDate = formatDayNumber(dayNumber);
    memoDayNumber = dayNumber;
  }
  let rest = wallMs - dayNumber * DAY_MS;
  const hour = Math.floor(rest / HOUR_MS);
  rest -= hour * HOUR_MS;
  const minute = Math.floor(rest / MINUTE_MS);
  rest -= minute * MINUTE_MS;
  const second = Math.floor(rest / SECOND_MS);
  const millis = rest - second * SECOND_MS;
  return (
    memoDate +
    'T' +
    (TWO_DIGITS[hour] ?? '') +
    ':' +
    (TWO_DIGITS[minute] ?? '') +
    ':' +
    (TWO_DIGITS[second] ?? '') +
    (millis === 0 ? '' : '.' + pad3(millis)) +
    suffix
  );
}

/** Canonical UTC form: '2026-03-29T01:00:00Z', or '2026-03-29T01:00:00.250Z' with a millisecond part. */
export function formatIsoUtc(ms: number): string {
  assertFormattable(ms);
  return formatWallTime(ms, 'Z');
}

const offsetSuffixes = new Map<number, string>();

function offsetSuffix(offsetMs: number): string {
  let suffix = offsetSuffixes.get(offsetMs);
  if (suffix === undefined) {
    const minutes = Math.abs(offsetMs) / MINUTE_MS;
    suffix = `${offsetMs < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
    offsetSuffixes.set(offsetMs, suffix);
  }
  return suffix;
}

/** Local wall time in `timeZone` with its offset: '2026-03-29T03:00:00+02:00' (see module comment). */
export function formatIsoOffset(ms: number, timeZone: string): string {
  assertFormattable(ms);
  const offsetMs = zoneRules(timeZone).offsetAt(ms);
  if (offsetMs % MINUTE_MS !== 0) return formatWallTime(ms, 'Z');
  return formatWallTime(ms + offsetMs, offsetSuffix(offsetMs));
}
