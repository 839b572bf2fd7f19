import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ABS_WH, formatKwh, kwhToWh, roundKwhToWh, whToKwh } from '../../src/energy.ts';

describe('kwhToWh', () => {
  it('round-trips every integer Wh in ±10^9 through kWh, also via JSON (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), (wh) => {
        expect(kwhToWh(wh / 1000)).toBe(wh);
        expect(kwhToWh(JSON.parse(JSON.stringify(wh / 1000)) as number)).toBe(wh);
      }),
      { numRuns: 20_000 },
    );
  });

  it('round-trips exhaustively over ±5·10^5 Wh and at the ends of ±10^9', () => {
    const ranges: [number, number][] = [
      [-500_000, 500_000],
      [-1_000_000_000, -999_900_000],
      [999_900_000, 1_000_000_000],
    ];
    for (const [from, to] of ranges) {
      for (let wh = from; wh <= to; wh++) {
        if (kwhToWh(wh / 1000) !== wh) throw new Error(`round trip fails at ${wh}`);
        if (kwhToWh(Number(String(wh / 1000))) !== wh) throw new Error(`text round trip fails at ${wh}`);
      }
    }
  });

  it('round-trips up to ±10^15 Wh (10^12 kWh), beyond every register cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (wh) => {
        expect(kwhToWh(wh / 1000)).toBe(wh);
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds half away from zero', () => {
    expect(kwhToWh(0.0005)).toBe(1);
    expect(kwhToWh(-0.0005)).toBe(-1);
    expect(kwhToWh(0.0025)).toBe(3);
    expect(kwhToWh(-0.0025)).toBe(-3);
    expect(kwhToWh(1.0005)).toBe(1001);
    expect(kwhToWh(0.0004999)).toBe(0);
    expect(kwhToWh(-0.0014)).toBe(-1);
  });

  it('never returns −0', () => {
    expect(Object.is(kwhToWh(-0.0001), 0)).toBe(true);
    expect(Object.is(kwhToWh(-0), 0)).toBe(true);
    expect(Object.is(roundKwhToWh(-0.0004), 0)).toBe(true);
  });

  it('is odd: kwhToWh(−x) = −kwhToWh(x)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        expect(kwhToWh(-x)).toBe(-kwhToWh(x) + 0);
      }),
    );
  });

  it('throws for non-finite values and magnitudes beyond MAX_ABS_WH', () => {
    expect(() => kwhToWh(Number.NaN)).toThrow(RangeError);
    expect(() => kwhToWh(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => kwhToWh(1e20)).toThrow(RangeError);
    expect(kwhToWh(MAX_ABS_WH / 1000)).toBe(MAX_ABS_WH);
  });
});

describe('whToKwh and formatKwh', () => {
  it('whToKwh is the inverse of kwhToWh and prints with at most three decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (wh) => {
        expect(kwhToWh(whToKwh(wh))).toBe(wh);
        expect(JSON.stringify(whToKwh(wh))).toMatch(/^-?\d+(\.\d{1,3})?$/);
      }),
    );
  });

  it.each([
    [0, '0.000'],
    [1, '0.001'],
    [-1, '-0.001'],
    [10, '0.010'],
    [999, '0.999'],
    [-1000, '-1.000'],
    [1_234_567, '1234.567'],
    [Number.MAX_SAFE_INTEGER, '9007199254740.991'],
  ])('formatKwh(%d) = %s', (wh, text) => {
    expect(formatKwh(wh)).toBe(text);
  });

  it('formatKwh always has exactly three decimals and parses back to the same Wh', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (wh) => {
        const text = formatKwh(wh);
        expect(text).toMatch(/^-?\d+\.\d{3}$/);
        if (Math.abs(wh) <= 1e15) expect(kwhToWh(Number(text))).toBe(wh);
      }),
    );
  });

  it('formatKwh refuses non-integers', () => {
    expect(() => formatKwh(1.5)).toThrow(RangeError);
    expect(() => formatKwh(Number.NaN)).toThrow(RangeError);
  });
});
