/**
 * Zones other than Europe/Stockholm: no DST (Asia/Tokyo), a non-hour offset (Asia/Kathmandu +05:45),
 * and the edge cases the day definition must survive: a missing midnight, a skipped date, a
 * half-hour DST shift and clocks falling back across midnight.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_INSTANT_MS,
  MIN_INSTANT_MS,
  formatIsoOffset,
  intervalStartsOfLocalDay,
  intervalsInLocalDay,
  localDate,
  localDatesBetween,
  localDayBounds,
  windowBounds,
  windowKey,
  windowsBetween,
} from '../../src/time/index.ts';
import { HOUR, QUARTER, reference, utc } from './reference.ts';

const DAYS_2025_2026 = localDatesBetween('2025-01-01', '2026-12-31');

describe.each([
  { zone: 'Asia/Tokyo', offset: '+09:00', midnightUtcPreviousDay: '15:00' },
  { zone: 'Asia/Kathmandu', offset: '+05:45', midnightUtcPreviousDay: '18:15' },
])('$zone', ({ zone, offset, midnightUtcPreviousDay }) => {
  it('has 96 intervals every day of 2025 and 2026, starting at local midnight', () => {
    expect(DAYS_2025_2026).toHaveLength(730);
    for (const date of DAYS_2025_2026) {
      expect(intervalsInLocalDay(date, zone)).toBe(96);
      const { startMs, endMs } = localDayBounds(date, zone);
      expect(endMs - startMs).toBe(24 * HOUR);
      expect(formatIsoOffset(startMs, zone)).toBe(`${date}T00:00:00${offset}`);
    }
  });

  it('attributes every interval start of a day to that day', () => {
    for (const date of ['2025-06-15', '2026-01-01', '2026-12-31']) {
      const starts = intervalStartsOfLocalDay(date, zone);
      expect(starts).toHaveLength(96);
      for (const s of starts) {
        expect(s % QUARTER).toBe(0);
        expect(localDate(s, zone)).toBe(date);
        expect(reference(s, zone).date).toBe(date);
      }
    }
  });

  it('changes local date exactly at local midnight', () => {
    const midnight = utc(`2026-01-01T${midnightUtcPreviousDay}`);
    expect(localDate(midnight - 1, zone)).toBe('2026-01-01');
    expect(localDate(midnight, zone)).toBe('2026-01-02');
    expect(localDayBounds('2026-01-02', zone).startMs).toBe(midnight);
    expect(windowKey(midnight - 1, '1d', zone)).toBe('2026-01-01');
    expect(windowKey(midnight, '1mo', zone)).toBe('2026-01');
    expect(localDate(utc('2026-12-31T23:59'), zone)).toBe('2027-01-01');
  });

  it('keeps hourly windows UTC-aligned', () => {
    const t = utc('2026-05-05T10:20');
    expect(windowBounds(t, '1h', zone)).toEqual({
      startMs: utc('2026-05-05T10:00'),
      endMs: utc('2026-05-05T11:00'),
    });
  });
});

describe('Asia/Kathmandu offset change of 1986 (+05:30 → +05:45 at local midnight)', () => {
  it('gives 1986-01-01 a 23:45 day (95 intervals) starting at the jump', () => {
    const zone = 'Asia/Kathmandu';
    const { startMs, endMs } = localDayBounds('1986-01-01', zone);
    expect(startMs).toBe(utc('1985-12-31T18:30'));
    expect(endMs).toBe(utc('1986-01-01T18:15'));
    expect(intervalsInLocalDay('1986-01-01', zone)).toBe(95);
    expect(formatIsoOffset(startMs, zone)).toBe('1986-01-01T00:15:00+05:45');
  });
});

describe('America/Sao_Paulo 2018-11-04: midnight does not exist (00:00 → 01:00)', () => {
  const zone = 'America/Sao_Paulo';
  it('starts the day at the jump, 23 hours and 92 intervals long', () => {
    const { startMs, endMs } = localDayBounds('2018-11-04', zone);
    expect(startMs).toBe(utc('2018-11-04T03:00'));
    expect(formatIsoOffset(startMs, zone)).toBe('2018-11-04T01:00:00-02:00');
    expect(formatIsoOffset(startMs - 1, zone)).toBe('2018-11-03T23:59:59.999-03:00');
    expect(endMs - startMs).toBe(23 * HOUR);
    expect(intervalsInLocalDay('2018-11-04', zone)).toBe(92);
    expect(localDate(startMs - 1, zone)).toBe('2018-11-03');
    expect(localDate(startMs, zone)).toBe('2018-11-04');
  });
});

describe('Pacific/Apia 2011-12-30: a date skipped entirely', () => {
  const zone = 'Pacific/Apia';
  it('gives the skipped date an empty range and never returns it', () => {
    const skipped = localDayBounds('2011-12-30', zone);
    expect(skipped.endMs - skipped.startMs).toBe(0);
    expect(intervalsInLocalDay('2011-12-30', zone)).toBe(0);
    expect(intervalStartsOfLocalDay('2011-12-30', zone)).toEqual([]);
    expect(localDayBounds('2011-12-29', zone).endMs).toBe(skipped.startMs);
    expect(localDayBounds('2011-12-31', zone).startMs).toBe(skipped.endMs);
    const from = localDayBounds('2011-12-28', zone).startMs;
    const to = localDayBounds('2012-01-02', zone).startMs;
    expect(windowsBetween(from, to, '1d', zone).map((w) => w.key)).toEqual([
      '2011-12-28',
      '2011-12-29',
      '2011-12-31',
      '2012-01-01',
    ]);
    expect(localDate(skipped.startMs - 1, zone)).toBe('2011-12-29');
    expect(localDate(skipped.startMs, zone)).toBe('2011-12-31');
  });
});

describe('Australia/Lord_Howe: half-hour DST shift', () => {
  const zone = 'Australia/Lord_Howe';
  it('has 98 intervals when DST ends and 94 when it starts', () => {
    expect(intervalsInLocalDay('2026-04-05', zone)).toBe(98);
    expect(intervalsInLocalDay('2026-10-04', zone)).toBe(94);
    expect(intervalsInLocalDay('2026-04-06', zone)).toBe(96);
  });
});

describe('America/St_Johns 2010-11-07: clocks fall back across midnight (00:01 NDT → 23:01 NST)', () => {
  const zone = 'America/St_Johns';
  it('keeps days contiguous: the repeated 23:01–24:00 belongs to the new day', () => {
    const saturday = localDayBounds('2010-11-06', zone);
    const sunday = localDayBounds('2010-11-07', zone);
    expect(saturday.endMs).toBe(sunday.startMs);
    expect(formatIsoOffset(sunday.startMs, zone)).toBe('2010-11-07T00:00:00-02:30');
    expect(sunday.endMs - sunday.startMs).toBe(25 * HOUR);
    const repeated = sunday.startMs + 30 * 60_000; // wall clock reads 2010-11-06T23:30-03:30
    expect(formatIsoOffset(repeated, zone)).toBe('2010-11-06T23:30:00-03:30');
    expect(localDate(repeated, zone)).toBe('2010-11-07');
    expect(localDate(sunday.startMs - 1, zone)).toBe('2010-11-06');
  });
});

describe('the ends of the supported range', () => {
  it('has local days and dates for 0001-01-01 … 9999-12-31 in every zone', () => {
    for (const zone of ['Europe/Stockholm', 'Pacific/Kiritimati', 'America/Los_Angeles', 'UTC']) {
      for (const date of ['0001-01-01', '0001-01-02', '1582-10-10', '9999-12-30', '9999-12-31']) {
        const { startMs, endMs } = localDayBounds(date, zone);
        expect(endMs - startMs).toBe(24 * HOUR);
        if (startMs >= MIN_INSTANT_MS && startMs < MAX_INSTANT_MS)
          expect(localDate(startMs, zone)).toBe(date);
      }
      expect(() => localDate(MIN_INSTANT_MS, zone)).not.toThrow();
      expect(() => localDate(MAX_INSTANT_MS - 1, zone)).not.toThrow();
      expect(() => localDate(MIN_INSTANT_MS - 1, zone)).toThrow(RangeError);
      expect(() => localDate(MAX_INSTANT_MS, zone)).toThrow(RangeError);
    }
  });

  it('uses the proleptic Gregorian calendar before 1582 (as Date does)', () => {
    expect(localDate(Date.UTC(1336, 2, 23, 12), 'UTC')).toBe('1336-03-23');
    expect(localDate(Date.UTC(1582, 9, 10, 12), 'Europe/Stockholm')).toBe('1582-10-10');
  });
});
