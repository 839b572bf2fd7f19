import { describe, expect, it } from 'vitest';
import { decideStorm, isStormSuspended, meterMissedDay } from '../../src/vee/storm.ts';

const p = { stormMissingShare: 0.3, stormMinMeters: 100 };

describe('decideStorm', () => {
  it('suspends at ≥ 30 % of ≥ 100 meters missing, not below either bound', () => {
    const d = decideStorm(
      [
        { level: 'feeder', id: 'F1', meters: 100, missingMeters: 30 },
        { level: 'feeder', id: 'F2', meters: 100, missingMeters: 29 },
        { level: 'feeder', id: 'F3', meters: 99, missingMeters: 99 },
        { level: 'region', id: 'R1', meters: 1000, missingMeters: 400 },
      ],
      new Set(),
      p,
    );
    expect([...d.suspended].sort()).toEqual(['feeder:F1', 'region:R1']);
    expect(d.groups.map((g) => g.storm)).toEqual([true, false, false, true]);
  });

  it('an operator release lifts the suspension but the storm is still reported', () => {
    const d = decideStorm(
      [{ level: 'feeder', id: 'F1', meters: 200, missingMeters: 100 }],
      new Set(['feeder:F1']),
      p,
    );
    expect(d.suspended.size).toBe(0);
    expect(d.groups[0]).toMatchObject({ storm: true, released: true, suspended: false, missingShare: 0.5 });
  });

  it('a meter is suspended when its feeder or its region is', () => {
    const d = decideStorm([{ level: 'region', id: 'R1', meters: 200, missingMeters: 100 }], new Set(), p);
    expect(isStormSuspended(d, { feederId: 'F9', region: 'R1' })).toBe(true);
    expect(isStormSuspended(d, { feederId: 'F9', region: 'R2' })).toBe(false);
  });

  it('a meter missed the day when none of its reads arrived', () => {
    expect(meterMissedDay(0)).toBe(true);
    expect(meterMissedDay(1)).toBe(false);
  });
});
