import { describe, expect, it } from 'vitest';
import { Q_A, Q_X, R_RANGE_HIGH, R_RANGE_NEGATIVE } from '../../src/vee/codes.ts';
import { validateRange } from '../../src/vee/validate-range.ts';
import { PROSUMER, RESIDENTIAL, WEDNESDAY, placedDay } from './support.ts';

const limits = {
  maxIntervalWh: { residential: 10_000, commercial: 150_000, industrial: 2_500_000 },
  negativeToleranceWh: 5,
};

describe('validateRange', () => {
  it('accepts the maximum, rejects one Wh more; the original is kept', () => {
    const day = placedDay(WEDNESDAY, [10_000, 10_001]);
    expect(validateRange(day, RESIDENTIAL, limits)).toBe(1);
    expect(day.quality[0]).toBe(Q_A);
    expect(day.quality[1]).toBe(Q_X);
    expect(day.reason[1]).toBe(R_RANGE_HIGH);
    expect(day.originalWh[1]).toBe(10_001);
  });

  it('limits are per segment', () => {
    const day = placedDay(WEDNESDAY, [10_001]);
    expect(validateRange(day, { segment: 'commercial', prosumer: false }, limits)).toBe(0);
  });

  it('non-prosumers: negative only within the tolerance', () => {
    const day = placedDay(WEDNESDAY, [-5, -6]);
    expect(validateRange(day, RESIDENTIAL, limits)).toBe(1);
    expect(day.reason[1]).toBe(R_RANGE_NEGATIVE);
  });

  it('prosumers may export down to −maximum', () => {
    const day = placedDay(WEDNESDAY, [-10_000, -10_001]);
    expect(validateRange(day, PROSUMER, limits)).toBe(1);
    expect(day.quality[0]).toBe(Q_A);
    expect(day.reason[1]).toBe(R_RANGE_NEGATIVE);
  });
});
