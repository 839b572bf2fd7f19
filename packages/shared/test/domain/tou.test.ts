import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOU_CALENDAR,
  compileTouCalendar,
  touBucketOf,
  touBucketsOf,
  type TouCalendar,
} from '../../src/domain/index.ts';
import { intervalStartsOfLocalDay } from '../../src/time/index.ts';

const TZ = 'Europe/Stockholm';
const at = (iso: string): number => Date.parse(iso);
const bucket = (iso: string, calendar: TouCalendar = DEFAULT_TOU_CALENDAR, tz = TZ) =>
  touBucketOf(at(iso), 'tou', calendar, tz);

function countBuckets(date: string, calendar: TouCalendar = DEFAULT_TOU_CALENDAR): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of intervalStartsOfLocalDay(date, TZ)) {
    const b = touBucketOf(s, 'tou', calendar, TZ);
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return counts;
}

describe('default TOU calendar (peak Mon–Fri 06:00–22:00 local, Nov–Mar)', () => {
  it.each([
    ['05:45 local on a January Wednesday', '2025-01-15T04:45:00Z', 'off_peak'],
    ['06:00 local', '2025-01-15T05:00:00Z', 'peak'],
    ['21:45 local', '2025-01-15T20:45:00Z', 'peak'],
    ['22:00 local', '2025-01-15T21:00:00Z', 'off_peak'],
    ['Saturday noon', '2025-01-18T11:00:00Z', 'off_peak'],
    ['Sunday noon', '2025-01-19T11:00:00Z', 'off_peak'],
    ['July weekday noon', '2025-07-16T10:00:00Z', 'off_peak'],
  ])('%s → %s', (_name, iso, expected) => {
    expect(bucket(iso)).toBe(expected);
  });

  it('a winter weekday has 64 peak and 32 off-peak intervals; a weekend day none', () => {
    expect(countBuckets('2025-01-15')).toEqual({ peak: 64, off_peak: 32 });
    expect(countBuckets('2025-01-18')).toEqual({ off_peak: 96 });
  });

  it('month edges follow the local calendar: October → November', () => {
    expect(bucket('2024-10-31T11:00:00Z')).toBe('off_peak'); // Thu 31 Oct, noon
    expect(bucket('2024-11-01T04:45:00Z')).toBe('off_peak'); // Fri 1 Nov 05:45 local
    expect(bucket('2024-11-01T05:00:00Z')).toBe('peak'); // Fri 1 Nov 06:00 local
  });

  it('month edges follow the local calendar: March → April', () => {
    expect(bucket('2025-03-31T19:45:00Z')).toBe('peak'); // Mon 31 Mar 21:45 CEST
    expect(bucket('2025-03-31T20:00:00Z')).toBe('off_peak'); // 22:00 CEST
    expect(bucket('2025-04-01T04:00:00Z')).toBe('off_peak'); // Tue 1 Apr 06:00 CEST, April
  });

  it('the same UTC time of day changes bucket across the spring DST change', () => {
    expect(bucket('2025-03-28T04:45:00Z')).toBe('off_peak'); // Fri 05:45 CET
    expect(bucket('2025-03-31T04:45:00Z')).toBe('peak'); // Mon 06:45 CEST
    expect(countBuckets('2025-03-28')).toEqual({ peak: 64, off_peak: 32 });
    expect(countBuckets('2025-03-31')).toEqual({ peak: 64, off_peak: 32 });
  });

  it('the same UTC time of day changes bucket across the autumn DST change', () => {
    const octoberToo = compileTouCalendar({
      peak: [{ months: [10, 11], weekdays: [1, 2, 3, 4, 5], from: '06:00', to: '22:00' }],
      holidays: [],
    });
    expect(bucket('2025-10-24T04:45:00Z', octoberToo)).toBe('peak'); // Fri 06:45 CEST
    expect(bucket('2025-10-27T04:45:00Z', octoberToo)).toBe('off_peak'); // Mon 05:45 CET
    expect(bucket('2025-10-27T05:00:00Z', octoberToo)).toBe('peak'); // Mon 06:00 CET
  });

  it('DST days: the repeated hour is judged twice, the skipped hour never', () => {
    const nightHour = compileTouCalendar({
      peak: [{ months: [3, 10], weekdays: [1, 2, 3, 4, 5, 6, 7], from: '02:00', to: '03:00' }],
      holidays: [],
    });
    expect(countBuckets('2025-10-26', nightHour)).toEqual({ peak: 8, off_peak: 92 }); // 100 intervals
    expect(countBuckets('2025-03-30', nightHour)).toEqual({ off_peak: 92 }); // 02:00–03:00 does not exist
    expect(bucket('2025-10-26T00:15:00Z', nightHour)).toBe('peak'); // 02:15 CEST
    expect(bucket('2025-10-26T01:15:00Z', nightHour)).toBe('peak'); // 02:15 CET
  });

  it('uses the zone it is given', () => {
    expect(bucket('2025-01-15T11:30:00Z', DEFAULT_TOU_CALENDAR, 'America/New_York')).toBe('peak'); // 06:30 EST
    expect(bucket('2025-01-15T10:30:00Z', DEFAULT_TOU_CALENDAR, 'America/New_York')).toBe('off_peak'); // 05:30
  });
});

describe('holidays and tariffs', () => {
  const withHoliday = compileTouCalendar({
    peak: [{ months: [11, 12, 1, 2, 3], weekdays: [1, 2, 3, 4, 5], from: '06:00', to: '22:00' }],
    holidays: ['2025-01-06'],
  });

  it('a holiday (local date) is off-peak all day; the days around it are not', () => {
    expect(countBuckets('2025-01-06', withHoliday)).toEqual({ off_peak: 96 });
    expect(countBuckets('2025-01-07', withHoliday)).toEqual({ peak: 64, off_peak: 32 });
    expect(bucket('2025-01-06T20:45:00Z', withHoliday)).toBe('off_peak'); // Mon 21:45 local, holiday
    expect(bucket('2025-01-07T05:00:00Z', withHoliday)).toBe('peak'); // Tue 06:00 local
  });

  it('flat tariffs have one bucket', () => {
    expect(touBucketOf(at('2025-01-15T08:00:00Z'), 'flat', DEFAULT_TOU_CALENDAR, TZ)).toBe('flat');
    expect(touBucketsOf('flat')).toEqual(['flat']);
    expect(touBucketsOf('tou')).toEqual(['peak', 'off_peak']);
  });

  it('supports several windows and a window ending at 24:00', () => {
    const cal = compileTouCalendar({
      peak: [
        { months: [1], weekdays: [3], from: '07:00', to: '09:00' },
        { months: [1], weekdays: [3], from: '17:00', to: '24:00' },
      ],
      holidays: [],
    });
    expect(countBuckets('2025-01-15', cal)).toEqual({ peak: 36, off_peak: 60 });
    expect(bucket('2025-01-15T22:45:00Z', cal)).toBe('peak'); // 23:45 local
  });

  it('refuses windows that do not run forward and impossible holidays', () => {
    expect(() =>
      compileTouCalendar({
        peak: [{ months: [1], weekdays: [1], from: '22:00', to: '06:00' }],
        holidays: [],
      }),
    ).toThrow(/peak\[0\].*before/);
    expect(() => compileTouCalendar({ peak: [], holidays: ['2025-02-30'] })).toThrow(/2025-02-30/);
  });
});
