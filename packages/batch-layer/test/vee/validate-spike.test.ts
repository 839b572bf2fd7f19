import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Q_A, Q_X, R_SPIKE } from '../../src/vee/codes.ts';
import { historyStats, quickselect } from '../../src/vee/history-stats.ts';
import { validateSpikes } from '../../src/vee/validate-spike.ts';
import { WEDNESDAY, historyDay, placedDay } from './support.ts';

const p = { spikeFactor: 10, spikeFloorWh: 2000, minHistoryIntervals: 96 };

describe('historyStats', () => {
  it('takes only A/M slots of the last historyDays days before the date', () => {
    const h = [
      historyDay('2025-03-11', (i) => (i < 48 ? 0 : 100)),
      historyDay('2025-03-10', () => 300),
      historyDay('2025-03-04', () => 9999), // 8 days back: outside 7
      historyDay('2025-03-12', () => 9999), // the day itself: not history
    ];
    h[0]!.quality[95] = 1; // E: ignored
    const s = historyStats(h, WEDNESDAY, 7, 0.95);
    expect(s.count).toBe(191);
    expect(s.zeroShare).toBeCloseTo(48 / 191, 12);
    expect(s.level).toBe(300);
    expect(historyStats([], WEDNESDAY, 7, 0.95)).toEqual({ count: 0, zeroShare: 0, level: 0 });
  });

  it('quickselect agrees with sorting', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        (xs, r) => {
          const k = r % xs.length;
          const sorted = [...xs].sort((a, b) => a - b);
          expect(quickselect(Float64Array.from(xs), xs.length, k)).toBe(sorted[k]);
        },
      ),
    );
  });
});

describe('validateSpikes', () => {
  const stats =
    (level: number, count = 672) =>
    () => ({ count, zeroShare: 0, level });

  it('rejects values above factor × level, keeps the boundary', () => {
    const day = placedDay(WEDNESDAY, [3000, 3001, 500]);
    expect(validateSpikes(day, stats(300), p)).toBe(1);
    expect(day.quality[0]).toBe(Q_A);
    expect(day.quality[1]).toBe(Q_X);
    expect(day.reason[1]).toBe(R_SPIKE);
    expect(day.originalWh[1]).toBe(3001);
  });

  it('never flags at or below the floor, and does not look at history then', () => {
    const day = placedDay(WEDNESDAY, [2000, 1999]);
    let called = 0;
    expect(
      validateSpikes(
        day,
        () => {
          called++;
          return { count: 1000, zeroShare: 0, level: 1 };
        },
        p,
      ),
    ).toBe(0);
    expect(called).toBe(0);
  });

  it('the floor applies when the level is tiny', () => {
    const day = placedDay(WEDNESDAY, [2000, 2001]);
    expect(validateSpikes(day, stats(1), p)).toBe(1);
    expect(day.quality[1]).toBe(Q_X);
  });

  it('does not judge without enough history', () => {
    const day = placedDay(WEDNESDAY, [90_000]);
    expect(validateSpikes(day, stats(10, 95), p)).toBe(0);
    expect(validateSpikes(day, stats(10, 96), p)).toBe(1);
  });
});
