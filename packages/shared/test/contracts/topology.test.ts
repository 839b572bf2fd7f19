import { describe, expect, it } from 'vitest';
import {
  buildTopologyIndex,
  checkKnownMeter,
  checkKnownMeterAt,
  validateTopologyRow,
  type TopologyRow,
} from '../../src/contracts/index.ts';

function row(overrides: Partial<TopologyRow> = {}): TopologyRow {
  return {
    meter_id: 'MTR-000001',
    service_point_id: 'SP-000001',
    customer_id: 'CUST-000001',
    transformer_id: 'TX-0001',
    feeder_id: 'FDR-01',
    substation_id: 'SUB-1',
    region: 'north',
    segment: 'residential',
    tariff: 'tou',
    prosumer: false,
    valid_from: '2024-01-01T00:00:00Z',
    valid_to: null,
    ...overrides,
  };
}

describe('topology rows', () => {
  it('accepts a valid row, open-ended or bounded', () => {
    expect(validateTopologyRow(row()).ok).toBe(true);
    expect(validateTopologyRow(row({ valid_to: '2025-01-01T00:00:00+01:00' })).ok).toBe(true);
  });

  it.each([
    ['unknown segment', { segment: 'agricultural' }, '/segment'],
    ['unknown tariff', { tariff: 'dynamic' }, '/tariff'],
    ['prosumer as string', { prosumer: 'yes' }, '/prosumer'],
    ['valid_from without offset', { valid_from: '2024-01-01T00:00:00' }, '/valid_from'],
  ])('rejects %s', (_name, overrides, path) => {
    const r = validateTopologyRow({ ...row(), ...overrides });
    expect(r.ok ? undefined : [r.reason, r.path]).toEqual(['SCHEMA_VIOLATION', path]);
  });

  it('rejects valid_to not after valid_from', () => {
    const r = validateTopologyRow(row({ valid_to: '2023-12-31T00:00:00Z' }));
    expect(r.ok ? undefined : r.reason).toBe('OUT_OF_RANGE');
  });
});

describe('topology index and UNKNOWN_METER', () => {
  const index = buildTopologyIndex([
    row({ valid_to: '2025-01-01T00:00:00Z' }),
    row({ valid_from: '2025-01-01T00:00:00Z', transformer_id: 'TX-0002' }),
    row({ meter_id: 'MTR-000002', valid_to: '2024-06-01T00:00:00Z' }),
  ]);

  it('finds the version active at an instant ([valid_from, valid_to))', () => {
    expect(index.size).toBe(2);
    expect(index.meterAt('MTR-000001', Date.parse('2024-12-31T23:45:00Z'))?.transformer_id).toBe('TX-0001');
    expect(index.meterAt('MTR-000001', Date.parse('2025-01-01T00:00:00Z'))?.transformer_id).toBe('TX-0002');
    expect(index.meterAt('MTR-000001', Date.parse('2023-12-31T23:45:00Z'))).toBeUndefined();
  });

  it('checkKnownMeter accepts a meter active at interval_start and returns its topology', () => {
    const r = checkKnownMeter(
      { meter_id: 'MTR-000001', intervalStartMs: Date.parse('2025-02-01T00:00:00Z') },
      index,
    );
    expect(r.ok && r.topology.transformer_id).toBe('TX-0002');
  });

  it('UNKNOWN_METER for a meter not in the topology', () => {
    const r = checkKnownMeter(
      { meter_id: 'MTR-999', intervalStartMs: Date.parse('2025-02-01T00:00:00Z') },
      index,
    );
    expect(r.ok ? undefined : [r.reason, r.path, r.detail]).toEqual([
      'UNKNOWN_METER',
      '/meter_id',
      'meter MTR-999 is not in the topology',
    ]);
  });

  it('UNKNOWN_METER for a known meter outside its validity', () => {
    const r = checkKnownMeterAt('MTR-000002', Date.parse('2024-07-01T00:00:00Z'), index);
    expect(r.ok ? undefined : r.detail).toContain('no topology version active at 2024-07-01T00:00:00Z');
  });

  it('refuses overlapping versions of one meter', () => {
    expect(() => buildTopologyIndex([row(), row({ valid_from: '2024-06-01T00:00:00Z' })])).toThrow(/overlap/);
  });
});
