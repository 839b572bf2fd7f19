import { describe, expect, it } from 'vitest';
import { Q_X, R_UNKNOWN_METER } from '../../src/vee/codes.ts';
import { rejectUnknownMeter } from '../../src/vee/validate-known-meter.ts';
import { RESIDENTIAL, WEDNESDAY, placedDay, values } from './support.ts';

describe('rejectUnknownMeter', () => {
  it('rejects the whole day, keeping originals', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i % 2 ? 100 : null)),
    );
    expect(rejectUnknownMeter(day, null)).toBe(true);
    expect(day.quality.every((q) => q === Q_X)).toBe(true);
    expect(day.reason.every((r) => r === R_UNKNOWN_METER)).toBe(true);
    expect(day.wh.every((w) => w === 0)).toBe(true);
    expect(day.originalWh[1]).toBe(100);
    expect(day.issues[0]?.code).toBe('UNKNOWN_METER');
  });
  it('leaves a known meter alone', () => {
    const day = placedDay(WEDNESDAY, [100]);
    expect(rejectUnknownMeter(day, RESIDENTIAL)).toBe(false);
    expect(day.wh[0]).toBe(100);
  });
});
