import { describe, expect, it } from 'vitest';
import { Q_A, Q_X, R_STUCK_AT_ZERO } from '../../src/vee/codes.ts';
import { validateStuckAtZero } from '../../src/vee/validate-stuck.ts';
import { WEDNESDAY, placedDay, values } from './support.ts';

const p = { stuckMinRun: 8, stuckMaxHistoryZeroShare: 0.05, minHistoryIntervals: 96 };
const consumes = () => ({ count: 672, zeroShare: 0.01, level: 400 });

describe('validateStuckAtZero', () => {
  it('flags a run of exactly N zeros, not N − 1', () => {
    // zeros at 10..17 (8) and 30..36 (7)
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => ((i >= 10 && i < 18) || (i >= 30 && i < 37) ? 0 : 200)),
    );
    expect(validateStuckAtZero(day, null, consumes, p)).toBe(8);
    for (let i = 10; i < 18; i++) {
      expect(day.quality[i]).toBe(Q_X);
      expect(day.reason[i]).toBe(R_STUCK_AT_ZERO);
      expect(day.hasOriginal[i]).toBe(1);
    }
    expect(day.quality[9]).toBe(Q_A);
    expect(day.quality[30]).toBe(Q_A);
  });

  it('a run at the end of the day counts', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i >= 88 ? 0 : 200)),
    );
    expect(validateStuckAtZero(day, null, consumes, p)).toBe(8);
  });

  it('does not flag a meter whose history has many zeros, or too little history', () => {
    const vals = values(96, (i) => (i < 20 ? 0 : 200));
    expect(
      validateStuckAtZero(
        placedDay(WEDNESDAY, vals),
        null,
        () => ({ count: 672, zeroShare: 0.3, level: 0 }),
        p,
      ),
    ).toBe(0);
    expect(
      validateStuckAtZero(placedDay(WEDNESDAY, vals), null, () => ({ count: 50, zeroShare: 0, level: 1 }), p),
    ).toBe(0);
  });

  it('zeros with delivered and received energy are not stuck (net zero)', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 20 ? 0 : 200)),
    );
    for (let i = 0; i < 20; i++) {
      day.deliveredWh[i] = 50;
      day.receivedWh[i] = 50;
    }
    expect(validateStuckAtZero(day, null, consumes, p)).toBe(0);
  });

  it('slots in an outage break a run', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 12 ? 0 : 200)),
    );
    const mask = new Uint8Array(96);
    mask.fill(1, 5, 7); // zeros 0..4 and 7..11: runs of 5
    expect(validateStuckAtZero(day, mask, consumes, p)).toBe(0);
  });

  it('history is not consulted without a long enough run', () => {
    let called = 0;
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 7 ? 0 : 200)),
    );
    validateStuckAtZero(day, null, () => (called++, consumes()), p);
    expect(called).toBe(0);
  });
});
