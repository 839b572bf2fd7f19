import { describe, expect, it } from 'vitest';
import { createVeeDay } from '../../src/vee/model.ts';
import { registerDeltas } from '../../src/vee/registers.ts';
import { sumCheck } from '../../src/vee/validate-sum.ts';
import { SPRING, WEDNESDAY, layoutOf, placedDay, registers, values } from './support.ts';

const p = { sumToleranceWh: 50, sumToleranceShare: 0.005 };

describe('registerDeltas', () => {
  it('computes delivered, received and net deltas', () => {
    expect(registerDeltas(registers(9600, 1000))).toEqual({
      status: 'ok',
      deliveredWh: 9600,
      receivedWh: 1000,
      netWh: 8600,
    });
  });
  it('absent when any boundary read is missing; decreased when a register goes back', () => {
    expect(registerDeltas(null).status).toBe('absent');
    expect(registerDeltas({ ...registers(1), endReceivedWh: null }).status).toBe('absent');
    expect(registerDeltas(registers(-1)).status).toBe('decreased');
  });
});

describe('sumCheck', () => {
  it('ok within the absolute tolerance, mismatch one Wh beyond', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, () => 100),
    ); // Σ = 9600
    expect(sumCheck(day, registerDeltas(registers(9650)), p).status).toBe('ok');
    const r = sumCheck(day, registerDeltas(registers(9651)), p);
    expect(r).toEqual({ status: 'mismatch', deliveredDiffWh: -51, receivedDiffWh: 0 });
    expect(day.issues.map((i) => i.code)).toEqual(['SUM_CHECK_MISMATCH']);
  });

  it('the share tolerance applies to large deltas', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, () => 10_000),
    ); // Σ = 960 000; 0.5 % = 4800
    expect(sumCheck(day, registerDeltas(registers(964_800)), p).status).toBe('ok');
    expect(sumCheck(day, registerDeltas(registers(964_900)), p).status).toBe('mismatch');
  });

  it('checks received energy too (prosumers)', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 48 ? 100 : -10)),
    ); // del 4800, rec 480
    expect(sumCheck(day, registerDeltas(registers(4800, 480)), p).status).toBe('ok');
    expect(sumCheck(day, registerDeltas(registers(4800, 600)), p).status).toBe('mismatch');
  });

  it('incomplete days and missing registers are not judged', () => {
    expect(
      sumCheck(
        placedDay(
          WEDNESDAY,
          values(95, () => 100),
        ),
        registerDeltas(registers(9500)),
        p,
      ).status,
    ).toBe('incomplete');
    expect(sumCheck(createVeeDay('M1', layoutOf(SPRING)), registerDeltas(null), p).status).toBe(
      'no_registers',
    );
  });

  it('works on a 92-slot day', () => {
    const day = placedDay(
      SPRING,
      values(92, () => 100),
    );
    expect(sumCheck(day, registerDeltas(registers(9200)), p)).toEqual({
      status: 'ok',
      deliveredDiffWh: 0,
      receivedDiffWh: 0,
    });
  });
});
