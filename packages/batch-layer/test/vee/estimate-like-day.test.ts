import { describe, expect, it } from 'vitest';
import { M_LIKE_DAY, Q_E, Q_X } from '../../src/vee/codes.ts';
import { estimateLikeDay, likeDays } from '../../src/vee/estimate-like-day.ts';
import { FALL, SPRING, TZ, WEDNESDAY, historyDay, placedDay, values } from './support.ts';

const p = { likeDayCount: 3, likeDayMin: 3, likeDayLookbackDays: 21 };
// Wednesday 2025-03-12; weekdays before: 11 (Tue), 10 (Mon), 7 (Fri), 6 (Thu); weekend 8, 9.
const hist = [
  historyDay('2025-03-11', () => 100),
  historyDay('2025-03-10', () => 200),
  historyDay('2025-03-09', () => 5000),
  historyDay('2025-03-08', () => 5000),
  historyDay('2025-03-07', () => 301),
  historyDay('2025-03-06', () => 9999),
];

describe('likeDays', () => {
  it('same day type, nearest first, within the look-back', () => {
    expect(likeDays(WEDNESDAY, hist, TZ, 21).map((d) => d.date)).toEqual([
      '2025-03-11',
      '2025-03-10',
      '2025-03-07',
      '2025-03-06',
    ]);
    expect(likeDays(WEDNESDAY, hist, TZ, 5).map((d) => d.date)).toEqual([
      '2025-03-11',
      '2025-03-10',
      '2025-03-07',
    ]);
    expect(likeDays('2025-03-15', hist, TZ, 21).map((d) => d.date)).toEqual(['2025-03-09', '2025-03-08']);
    // a holiday Tuesday counts as a weekend day
    expect(likeDays('2025-03-15', hist, TZ, 21, new Set(['2025-03-11'])).map((d) => d.date)).toEqual([
      '2025-03-11',
      '2025-03-09',
      '2025-03-08',
    ]);
  });
});

describe('estimateLikeDay', () => {
  it('averages the 3 nearest like days (rounded) per slot', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 40 ? null : 50)),
    );
    expect(estimateLikeDay(day, hist, undefined, p, 96)).toBe(1);
    expect(day.wh[40]).toBe(200); // (100 + 200 + 301) / 3 = 200.33
    expect(day.quality[40]).toBe(Q_E);
    expect(day.method[40]).toBe(M_LIKE_DAY);
  });

  it('skips like days without an actual at the slot and takes the next one', () => {
    const h = hist.map((d) => ({ ...d, quality: d.quality.slice() }));
    h[0]!.quality[40] = Q_X;
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 40 ? null : 50)),
    );
    estimateLikeDay(day, h, undefined, p, 96);
    expect(day.wh[40]).toBe(Math.round((200 + 301 + 9999) / 3));
  });

  it('needs likeDayMin like days', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 40 ? null : 50)),
    );
    expect(estimateLikeDay(day, hist.slice(0, 2), undefined, p, 96)).toBe(0);
    expect(day.quality[40]).toBe(Q_X);
    expect(estimateLikeDay(day, hist.slice(0, 2), undefined, { ...p, likeDayMin: 2 }, 96)).toBe(1);
    expect(day.wh[40]).toBe(150);
  });

  it('lines slots up by wall clock across DST: a 100-slot day fills both 02:xx from one slot', () => {
    // Like days of Sunday 2025-10-26: Sundays/Saturdays before it.
    const h = ['2025-10-25', '2025-10-19', '2025-10-18'].map((d) => historyDay(d, (i) => i * 10));
    const day = placedDay(
      FALL,
      values(100, (i) => (i === 8 || i === 12 || i === 99 ? null : 1)),
    );
    expect(estimateLikeDay(day, h, undefined, p, 100)).toBe(3);
    expect(day.wh[8]).toBe(80); // 02:00 first
    expect(day.wh[12]).toBe(80); // 02:00 again
    expect(day.wh[99]).toBe(950); // 23:45
  });

  it('a quarter-hour a 92-slot history day skipped does not count for it', () => {
    // Target Sunday 2025-04-06; like days 2025-04-05, 2025-03-30 (92 slots), 2025-03-29, 2025-03-23.
    const h = [
      historyDay('2025-04-05', () => 10),
      historyDay(SPRING, () => 1000),
      historyDay('2025-03-29', () => 40),
      historyDay('2025-03-23', () => 70),
    ];
    const day = placedDay(
      '2025-04-06',
      values(96, (i) => (i === 8 || i === 20 ? null : 1)),
    );
    estimateLikeDay(day, h, undefined, p, 96);
    expect(day.wh[8]).toBe(40); // 02:00: SPRING has none → 10, 40, 70
    expect(day.wh[20]).toBe(350); // 05:00 → 10, 1000, 40
  });
});
