import { describe, expect, it } from 'vitest';
import { M_LINEAR, Q_E, Q_M, Q_O, Q_X } from '../../src/vee/codes.ts';
import { estimateLinear } from '../../src/vee/estimate-linear.ts';
import { WEDNESDAY, placedDay, values } from './support.ts';

describe('estimateLinear', () => {
  it('fills a gap of up to maxGap on the line between the neighbours, rounded', () => {
    // 100, _, _, _, _, 200  → 120, 140, 160, 180
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i >= 1 && i <= 4 ? null : i === 0 ? 100 : 200)),
    );
    expect(estimateLinear(day, 4, 96)).toBe(4);
    expect(Array.from(day.wh.subarray(0, 6))).toEqual([100, 120, 140, 160, 180, 200]);
    expect(day.quality[1]).toBe(Q_E);
    expect(day.method[1]).toBe(M_LINEAR);
    // 100, _, _, 101 → 100.33 → 100, 100.67 → 101
    const d2 = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 1 || i === 2 ? null : i === 0 ? 100 : 101)),
    );
    estimateLinear(d2, 4, 96);
    expect(Array.from(d2.wh.subarray(0, 4))).toEqual([100, 100, 101, 101]);
  });

  it('leaves a gap longer than maxGap, and gaps at the edges of the day', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 2 || (i >= 10 && i < 15) || i > 93 ? null : 100)),
    );
    expect(estimateLinear(day, 4, 96)).toBe(0);
    expect(day.quality[0]).toBe(Q_X);
    expect(day.quality[12]).toBe(Q_X);
    expect(day.quality[95]).toBe(Q_X);
  });

  it('edited neighbours anchor, outage neighbours do not', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 5 || i === 7 ? null : 100)),
    );
    day.quality[4] = Q_M;
    day.wh[4] = 300;
    day.quality[8] = Q_O;
    day.wh[8] = 0;
    expect(estimateLinear(day, 4, 96)).toBe(1);
    expect(day.wh[5]).toBe(200);
    expect(day.quality[7]).toBe(Q_X);
  });

  it('maxGap 0 switches it off; the limit bounds the gaps considered', () => {
    const vals = values(96, (i) => (i === 50 ? null : 100));
    expect(estimateLinear(placedDay(WEDNESDAY, vals), 0, 96)).toBe(0);
    expect(estimateLinear(placedDay(WEDNESDAY, vals), 4, 50)).toBe(0);
    expect(estimateLinear(placedDay(WEDNESDAY, vals), 4, 51)).toBe(1);
  });
});
