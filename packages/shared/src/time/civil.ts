/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01) and the fixed
 * string forms of local calendar values: 'YYYY-MM-DD' dates and 'YYYY-MM' months. Pure and
 * allocation-light; no time zones here. Algorithms after H. Hinnant, "chrono-compatible low-level
 * date algorithms".
 */

/** Day number (days since 1970-01-01) of a proleptic Gregorian date; month 1–12, day 1–31. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Calendar fields of a day number. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(dayNumber: number): CivilDate {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOfDayNumber(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** '00' … '99', so formatting never calls padStart on a hot path. */
export const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) =>
  i < 10 ? `0${i}` : `${i}`,
);

export function pad2(n: number): string {
  return TWO_DIGITS[n] ?? String(n).padStart(2, '0');
}

export function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/** Four-digit year; throws for years that do not fit (the supported range is 0001–9999). */
export function pad4(year: number): string {
  if (!(year >= 0 && year <= 9999)) throw new RangeError(`year ${year} is outside 0000–9999`);
  return year >= 1000 ? `${year}` : `${year}`.padStart(4, '0');
}

/** 'YYYY-MM-DD' of a day number. */
export function formatDayNumber(dayNumber: number): string {
  const { year, month, day } = civilFromDays(dayNumber);
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}`;
}

/** Value of the two ASCII digits at s[i], s[i+1], or -1 when either is not a digit. */
export function twoDigitsAt(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Value of the four ASCII digits at s[i..i+3], or -1. */
export function fourDigitsAt(s: string, i: number): number {
  const hi = twoDigitsAt(s, i);
  const lo = twoDigitsAt(s, i + 2);
  return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

/**
 * Day number of a strict 'YYYY-MM-DD' local date (four-digit year 0001–9999, real calendar day),
 * or NaN when `s` is anything else.
 */
export function parseDayNumber(s: string): number {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const year = fourDigitsAt(s, 0);
  const month = twoDigitsAt(s, 5);
  const day = twoDigitsAt(s, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day);
}

/** Month index (year × 12 + month − 1) of a strict 'YYYY-MM' month (year 0001–9999), or NaN. */
export function parseMonthIndex(s: string): number {
  if (s.length !== 7 || s.charCodeAt(4) !== 45) return NaN;
  const year = fourDigitsAt(s, 0);
  const month = twoDigitsAt(s, 5);
  if (year < 1 || month < 1 || month > 12) return NaN;
  return year * 12 + month - 1;
}

/** 'YYYY-MM' of a month index. */
export function formatMonthIndex(monthIndex: number): string {
  const year = Math.floor(monthIndex / 12);
  return `${pad4(year)}-${pad2(monthIndex - year * 12 + 1)}`;
}

/** Day number of the first day of a month index. */
export function firstDayOfMonthIndex(monthIndex: number): number {
  const year = Math.floor(monthIndex / 12);
  return daysFromCivil(year, monthIndex - year * 12 + 1, 1);
}
