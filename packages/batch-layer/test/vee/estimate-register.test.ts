import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { M_LINEAR, M_REGISTER_SCALED, Q_E, Q_O } from '../../src/vee/codes.ts';
import { scaleToRegisters } from '../../src/vee/estimate-register.ts';
import { dayTotalWh, type VeeDay } from '../../src/vee/model.ts';
import { registerDeltas } from '../../src/vee/registers.ts';
import { FALL, SPRING, WEDNESDAY, placedDay, registers, values } from './support.ts';

/** A day with actual `a` everywhere except the estimated slots `est` (slot → wh). */
function dayWithEstimates(date: string, n: number, a: number, est: Record<number, number>): VeeDay {
  const day = placedDay(
    date,
    values(n, (i) => (i in est ? null : a)),
  );
  for (const [k, v] of Object.entries(est)) {
    const i = Number(k);
    day.wh[i] = v;
    day.quality[i] = Q_E;
    day.method[i] = M_LINEAR;
  }
  return day;
}

describe('scaleToRegisters', () => {
  it('scales estimates so the day equals the delta exactly, remainders to the largest fractions', () => {
    // actuals 94 × 100 = 9400; estimates 100 and 200; delta 9700 → needed 300 → ×1: exact
    expect(
      scaleToRegisters(
        dayWithEstimates(WEDNESDAY, 96, 100, { 3: 100, 4: 200 }),
        registerDeltas(registers(9700)),
        false,
      ),
    ).toBe('exact');
    // needed 400 over 1:2 → 133.33, 266.67 → floors 133, 266, +1 to slot 4 (larger fraction)
    const day = dayWithEstimates(WEDNESDAY, 96, 100, { 3: 100, 4: 200 });
    expect(scaleToRegisters(day, registerDeltas(registers(9800)), false)).toBe('scaled');
    expect([day.wh[3], day.wh[4]]).toEqual([133, 267]);
    expect(day.method[3]).toBe(M_REGISTER_SCALED);
    expect(dayTotalWh(day)).toBe(9800);
  });

  it('ties in the fractional part go to the earlier slot', () => {
    // needed 5 over three equal estimates → 1.67 each → 1,1,1 + 2 → slots 10, 11 get +1
    const day = dayWithEstimates(WEDNESDAY, 96, 10, { 10: 3, 11: 3, 12: 3 });
    scaleToRegisters(day, registerDeltas(registers(930 + 5)), false);
    expect([day.wh[10], day.wh[11], day.wh[12]]).toEqual([2, 2, 1]);
  });

  it('is exact on DST days of 92 and 100 slots', () => {
    for (const [date, n] of [
      [SPRING, 92],
      [FALL, 100],
    ] as const) {
      const est: Record<number, number> = {};
      for (let i = 5; i < 40; i++) est[i] = 37 + (i % 7);
      const day = dayWithEstimates(date, n, 123, est);
      const target = (n - 35) * 123 + 5_003;
      scaleToRegisters(day, registerDeltas(registers(target)), false);
      expect(dayTotalWh(day)).toBe(target);
    }
  });

  it('outage and actual slots are never scaled', () => {
    const day = dayWithEstimates(WEDNESDAY, 96, 100, { 1: 50 });
    day.quality[2] = Q_O;
    day.wh[2] = 0;
    scaleToRegisters(day, registerDeltas(registers(94 * 100 + 80)), false);
    expect(day.wh[1]).toBe(80);
    expect(day.wh[2]).toBe(0);
    expect(day.wh[0]).toBe(100);
  });

  it('actuals above the delta: no negative estimates, REGISTER_BELOW_ACTUALS', () => {
    const day = dayWithEstimates(WEDNESDAY, 96, 100, { 1: 50 });
    expect(scaleToRegisters(day, registerDeltas(registers(9000)), false)).toBe('below_actuals');
    expect(day.wh[1]).toBe(50);
    expect(day.issues.map((i) => i.code)).toEqual(['REGISTER_BELOW_ACTUALS']);
  });

  it('all-zero estimates: the needed energy is spread evenly, remainder to the earliest', () => {
    const day = dayWithEstimates(WEDNESDAY, 96, 100, { 7: 0, 8: 0, 9: 0 });
    scaleToRegisters(day, registerDeltas(registers(9300 + 10)), false);
    expect([day.wh[7], day.wh[8], day.wh[9]]).toEqual([4, 3, 3]);
  });

  it('prosumers: negative needed scales negative estimates; opposite signs conflict', () => {
    const day = dayWithEstimates(WEDNESDAY, 96, 0, { 1: -10, 2: -30 });
    // registers: delivered 0, received 100 → net −100
    expect(scaleToRegisters(day, registerDeltas(registers(0, 100)), true)).toBe('scaled');
    expect([day.wh[1], day.wh[2]]).toEqual([-25, -75]);
    const d2 = dayWithEstimates(WEDNESDAY, 96, 0, { 1: 10 });
    expect(scaleToRegisters(d2, registerDeltas(registers(0, 100)), true)).toBe('sign_conflict');
  });

  it('not applied with gaps left, without registers, or without estimates', () => {
    const gap = placedDay(
      WEDNESDAY,
      values(96, (i) => (i === 0 ? null : 1)),
    );
    expect(scaleToRegisters(gap, registerDeltas(registers(500)), false)).toBe('incomplete');
    expect(scaleToRegisters(dayWithEstimates(WEDNESDAY, 96, 1, { 0: 1 }), registerDeltas(null), false)).toBe(
      'no_registers',
    );
    expect(
      scaleToRegisters(
        placedDay(
          WEDNESDAY,
          values(96, () => 1),
        ),
        registerDeltas(registers(500)),
        false,
      ),
    ).toBe('no_estimates');
  });

  it('property: the scaled day always sums exactly to the delta, estimates stay ≥ 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (ests, extra) => {
          const est: Record<number, number> = {};
          ests.forEach((v, k) => (est[k] = v));
          const day = dayWithEstimates(WEDNESDAY, 96, 77, est);
          const target = (96 - ests.length) * 77 + extra;
          const out = scaleToRegisters(day, registerDeltas(registers(target)), false);
          expect(['scaled', 'exact']).toContain(out);
          expect(dayTotalWh(day)).toBe(target);
          for (let i = 0; i < ests.length; i++) expect(day.wh[i]).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
