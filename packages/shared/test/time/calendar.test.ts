/** Calendar arithmetic, local date and month strings, billing periods, intervals and input checks. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INTERVAL_MS,
  addLocalDays,
  addLocalMonths,
  alignToIntervalStart,
  assertTimeZone,
  billingPeriodOfDate,
  billingPeriodsBetween,
  containsIntervalStart,
  intervalEnd,
  isAlignedIntervalStart,
  isStep,
  isValidBillingPeriod,
  isValidLocalDate,
  isValidLocalMonth,
  isValidTimeZone,
  localDate,
  localDatesBetween,
  localDatesOfBillingPeriod,
  localDatesOfMonth,
  localDayBounds,
  localDaysBetween,
  localMonthOfDate,
  localMonthsBetween,
  weekdayOfLocalDate,
  windowBoundsOfKey,
  windowKey,
  windowsBetween,
} from '../../src/time/index.ts';
import { civilFromDays, daysFromCivil } from '../../src/time/civil.ts';
import { DAY } from './reference.ts';

describe('proleptic Gregorian arithmetic', () => {
  it('matches Date for every day number of years 0001–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719_162, max: 2_932_896 }), (n) => {
        const d = new Date(n * DAY);
        const civil = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
        expect(civilFromDays(n)).toEqual(civil);
        expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(n);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('local dates', () => {
  it('validates strictly', () => {
    for (const ok of ['2026-03-29', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31']) {
      expect(isValidLocalDate(ok), ok).toBe(true);
    }
    for (const bad of [
      '2026-02-29',
      '1900-02-29',
      '2026-3-29',
      '2026-03-32',
      '2026-00-10',
      '0000-01-01',
      '2026/03/29',
      '2026-03-29T00:00',
      ' 2026-03-29',
      '',
    ]) {
      expect(isValidLocalDate(bad), bad).toBe(false);
    }
    expect(() => localDayBounds('2026-02-30', 'Europe/Stockholm')).toThrow(RangeError);
    expect(() => addLocalDays('29/03/2026', 1)).toThrow(RangeError);
  });

  it('adds days across months, years and leap days', () => {
    expect(addLocalDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addLocalDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addLocalDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addLocalDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addLocalDays('2026-01-01', 365)).toBe('2027-01-01');
    expect(() => addLocalDays('2026-01-01', 0.5)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: -5000, max: 5000 }), (n, k) => {
        const d = new Date(Date.UTC(2000, 0, 1) + n * DAY).toISOString().slice(0, 10);
        const expected = new Date(Date.UTC(2000, 0, 1) + (n + k) * DAY).toISOString().slice(0, 10);
        expect(addLocalDays(d, k)).toBe(expected);
        expect(localDaysBetween(d, expected)).toBe(k);
      }),
    );
  });

  it('lists dates inclusively', () => {
    expect(localDatesBetween('2024-02-27', '2024-03-01')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    expect(localDatesBetween('2026-01-01', '2026-01-01')).toEqual(['2026-01-01']);
    expect(localDatesBetween('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('gives ISO weekdays', () => {
    expect(weekdayOfLocalDate('2026-03-29')).toBe(7);
    expect(weekdayOfLocalDate('2026-03-30')).toBe(1);
    expect(weekdayOfLocalDate('1970-01-01')).toBe(4);
    expect(weekdayOfLocalDate('1969-12-29')).toBe(1);
  });
});

describe('local months and billing periods', () => {
  it('validate, list their dates and step', () => {
    expect(isValidLocalMonth('2026-03')).toBe(true);
    expect(isValidLocalMonth('2026-13')).toBe(false);
    expect(isValidLocalMonth('2026-3')).toBe(false);
    expect(isValidBillingPeriod('2026-03-01')).toBe(false);
    expect(localDatesOfMonth('2024-02')).toHaveLength(29);
    expect(localDatesOfMonth('2026-02').at(-1)).toBe('2026-02-28');
    expect(localDatesOfBillingPeriod('2026-03')).toEqual(localDatesBetween('2026-03-01', '2026-03-31'));
    expect(addLocalMonths('2026-11', 2)).toBe('2027-01');
    expect(addLocalMonths('2026-01', -1)).toBe('2025-12');
    expect(localMonthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(billingPeriodsBetween('2026-02', '2026-01')).toEqual([]);
    expect(localMonthOfDate('2026-03-29')).toBe('2026-03');
    expect(billingPeriodOfDate('2026-12-31')).toBe('2026-12');
    expect(() => localMonthOfDate('2026-02-30')).toThrow(RangeError);
  });
});

describe('intervals', () => {
  it('align to :00/:15/:30/:45', () => {
    const t = Date.UTC(2026, 2, 29, 1, 44, 59, 999);
    expect(alignToIntervalStart(t)).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(isAlignedIntervalStart(Date.UTC(2026, 2, 29, 1, 45))).toBe(true);
    expect(isAlignedIntervalStart(Date.UTC(2026, 2, 29, 1, 46))).toBe(false);
    expect(isAlignedIntervalStart(-INTERVAL_MS)).toBe(true);
    expect(alignToIntervalStart(-1)).toBe(-INTERVAL_MS);
    expect(intervalEnd(Date.UTC(2026, 2, 29, 23, 45))).toBe(Date.UTC(2026, 2, 30));
    expect(() => intervalEnd(Date.UTC(2026, 2, 29, 23, 44))).toThrow(RangeError);
  });

  it('are attributed by start, never by end', () => {
    const day = localDayBounds('2026-03-29', 'Europe/Stockholm');
    expect(containsIntervalStart(day, day.endMs - INTERVAL_MS)).toBe(true);
    expect(containsIntervalStart(day, day.endMs)).toBe(false);
    expect(containsIntervalStart(day, day.startMs)).toBe(true);
    expect(containsIntervalStart(day, day.startMs - INTERVAL_MS)).toBe(false);
  });
});

describe('window keys', () => {
  it('have the documented formats', () => {
    const t = Date.UTC(2026, 2, 29, 1, 20);
    expect(windowKey(t, '15m', 'Europe/Stockholm')).toBe(String(Date.UTC(2026, 2, 29, 1, 15) / 60_000));
    expect(windowKey(t, '1h', 'Europe/Stockholm')).toBe('29579100');
    expect(windowKey(t, '1d', 'Europe/Stockholm')).toBe('2026-03-29');
    expect(windowKey(t, '1mo', 'Europe/Stockholm')).toBe('2026-03');
    expect(windowKey(Date.UTC(2026, 2, 31, 22, 30), '1mo', 'Europe/Stockholm')).toBe('2026-04');
  });

  it('reject malformed keys', () => {
    for (const [key, step] of [
      ['29579101', '15m'],
      ['29579115', '1h'],
      ['01', '15m'],
      ['1e3', '15m'],
      ['', '1h'],
      ['2026-02-30', '1d'],
      ['2026-13', '1mo'],
    ] as const) {
      expect(() => windowBoundsOfKey(key, step, 'Europe/Stockholm'), `${step} ${key}`).toThrow(RangeError);
    }
  });

  it('know their steps', () => {
    expect(isStep('1mo')).toBe(true);
    expect(isStep('1m')).toBe(false);
  });
});

describe('input checks', () => {
  it('reject unknown zones and non-instants', () => {
    expect(isValidTimeZone('Europe/Stockholm')).toBe(true);
    expect(isValidTimeZone('Europe/Nowhere')).toBe(false);
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
    expect(() => localDate(0, 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localDate(NaN, 'Europe/Stockholm')).toThrow(RangeError);
    expect(() => localDate(Infinity, 'Europe/Stockholm')).toThrow(RangeError);
    expect(() => windowKey(NaN, '15m', 'Europe/Stockholm')).toThrow(RangeError);
    expect(() => windowsBetween(0, NaN, '1d', 'Europe/Stockholm')).toThrow(RangeError);
  });
});
