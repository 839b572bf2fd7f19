import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_CODES,
  buildEventCodeTable,
  defaultEventCodeTable,
  type EventCodeDef,
} from '../../src/domain/index.ts';

describe('event code table (SPEC 3.3)', () => {
  it.each([
    [3840, 'POWER_OUTAGE', 'CRITICAL', 'opens', true],
    [3841, 'PHASE_LOSS', 'CRITICAL', 'none', true],
    [3842, 'NEUTRAL_LOSS', 'CRITICAL', 'none', true],
    [3843, 'POWER_RESTORED', 'INFO', 'clears', false],
    [2048, 'TAMPER_COVER_OPEN', 'WARNING', 'none', true],
    [2049, 'TAMPER_MAGNETIC', 'WARNING', 'none', true],
    [1024, 'REVERSE_ENERGY_FLOW', 'WARNING', 'none', true],
  ])('code %d is %s (%s, outage %s, alert %s)', (code, name, severity, outage, alert) => {
    const def = defaultEventCodeTable.get(code);
    expect(def).toMatchObject({ code, name, severity, outage, alert });
    expect(defaultEventCodeTable.byName(name)?.code).toBe(code);
  });

  it('has exactly the seven SPEC codes; unknown codes are undefined', () => {
    expect(defaultEventCodeTable.codes).toHaveLength(7);
    expect(defaultEventCodeTable.get(9999)).toBeUndefined();
    expect(defaultEventCodeTable.byName('NOPE')).toBeUndefined();
  });

  it('knows which codes open and clear outages', () => {
    expect([...defaultEventCodeTable.outageOpening]).toEqual([3840]);
    expect([...defaultEventCodeTable.outageClearing]).toEqual([3843]);
  });

  it('is immutable', () => {
    const def = defaultEventCodeTable.get(3840) as EventCodeDef;
    expect(() => {
      (def as { severity: string }).severity = 'INFO';
    }).toThrow(TypeError);
    expect(DEFAULT_EVENT_CODES[0]?.severity).toBe('CRITICAL');
  });

  it('refuses duplicate codes, duplicate names and names of grid alert types', () => {
    const base: EventCodeDef = {
      code: 1,
      name: 'A',
      description: '',
      severity: 'INFO',
      outage: 'none',
      alert: false,
    };
    expect(() => buildEventCodeTable([base, { ...base, name: 'B' }])).toThrow(/code 1 is defined twice/);
    expect(() => buildEventCodeTable([base, { ...base, code: 2 }])).toThrow(/name A is used by two codes/);
    expect(() => buildEventCodeTable([{ ...base, name: 'LOW_VOLTAGE' }])).toThrow(/collides/);
  });
});
