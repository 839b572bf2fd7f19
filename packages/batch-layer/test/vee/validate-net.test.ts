import { describe, expect, it } from 'vitest';
import { Q_A, Q_X, R_NET_MISMATCH } from '../../src/vee/codes.ts';
import { validateNet } from '../../src/vee/validate-net.ts';
import { WEDNESDAY, placedDay } from './support.ts';

describe('validateNet', () => {
  it('accepts |wh − (delivered − received)| ≤ tolerance, rejects beyond, both signs', () => {
    const day = placedDay(WEDNESDAY, [100, 100, 100, 100]);
    day.deliveredWh.set([101, 102, 98, 150]);
    day.receivedWh.set([0, 0, 0, 50]);
    expect(validateNet(day, 1)).toBe(2);
    expect(Array.from(day.quality.subarray(0, 4))).toEqual([Q_A, Q_X, Q_X, Q_A]);
    expect(day.reason[1]).toBe(R_NET_MISMATCH);
    expect(day.originalWh[2]).toBe(100);
  });

  it('tolerance 0 demands equality', () => {
    const day = placedDay(WEDNESDAY, [100]);
    day.deliveredWh[0] = 101;
    expect(validateNet(day, 0)).toBe(1);
  });
});
