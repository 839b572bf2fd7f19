/** Pure parts of the analytics aggregate: combination rules, limits, per-group labelling, CSV/Arrow. */
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { groupRows, NO_REALTIME_AGGREGATE, type AggregateRow } from '../src/analytics/aggregate.ts';
import { toArrow, toCsv } from '../src/analytics/format.ts';
import { csvField } from '../src/format/csv.ts';
import { checkCells, checkCombination, checkMeterViewRange, MAX_CELLS } from '../src/analytics/query.ts';
import type { GridPoint } from '../src/merge/index.ts';

const H = 3_600_000;
const point = (i: number, status: GridPoint['status'], wh: number | null): GridPoint => ({
  startMs: i * H,
  endMs: (i + 1) * H,
  wh,
  status,
  metersTotal: wh === null ? null : 4,
  metersReported: wh === null ? null : 3,
  receiptRate: wh === null ? null : 0.75,
  voltageAvg: wh === null ? null : 230.5,
  voltageMin: null,
  voltageMax: null,
});

describe('analytics query rules', () => {
  it('refuses segment/tariff filters on grid groupings and filters finer than the grouping', () => {
    expect(() => checkCombination('energy_kwh', 'region', { segment: 'residential' })).toThrow(/segment/);
    expect(() => checkCombination('energy_kwh', 'feeder', { tariff: 'tou' })).toThrow(/tariff/);
    expect(() => checkCombination('energy_kwh', 'substation', { feeder: 'F1' })).toThrow(/finer/);
    expect(() => checkCombination('energy_kwh', 'feeder', { feeder: 'F1', region: 'R1' })).not.toThrow();
    expect(() => checkCombination('voltage_avg', 'tariff', {})).toThrow(/voltage_avg/);
    expect(() => checkCombination('voltage_avg', 'region', {})).not.toThrow();
    expect(() => checkCombination('receipt_rate', 'segment', { region: 'R1', tariff: 'flat' })).not.toThrow();
  });

  it('limits buckets × groups to MAX_CELLS and segment/tariff ranges to MAX_METER_VIEW_DAYS', () => {
    expect(() => checkCells(MAX_CELLS, 1)).not.toThrow();
    expect(() => checkCells(1000, 101)).toThrow(/MAX_CELLS/);
    expect(() => checkMeterViewRange('segment', '1d', 0, 93 * 86_400_000)).toThrow(/MAX_METER_VIEW_DAYS/);
    expect(() => checkMeterViewRange('segment', '1d', 0, 92 * 86_400_000)).not.toThrow();
    expect(() => checkMeterViewRange('region', '1d', 0, 400 * 86_400_000)).not.toThrow();
  });
});

describe('groupRows', () => {
  const points = [point(0, 'authoritative', 1500), point(1, 'provisional', 700), point(2, 'missing', null)];
  it('picks the metric and keeps the merge labels', () => {
    expect(groupRows('R1', 'energy_kwh', points, 2 * H, true).map((r) => [r.value, r.status])).toEqual([
      [1.5, 'authoritative'],
      [0.7, 'provisional'],
      [null, 'missing'],
    ]);
    expect(groupRows('R1', 'receipt_rate', points, 2 * H, true)[0]!.value).toBe(0.75);
    expect(groupRows('R1', 'meters_reported', points, 2 * H, true)[1]!.value).toBe(3);
    expect(groupRows('R1', 'voltage_avg', points, 2 * H, true)[0]!.value).toBe(230.5);
  });
  it('without a realtime aggregate, buckets past the watermark are missing with a reason', () => {
    const rows = groupRows('residential', 'energy_kwh', points, H, false);
    expect(rows.map((r) => [r.status, r.value, r.reason])).toEqual([
      ['authoritative', 1.5, null],
      ['missing', null, NO_REALTIME_AGGREGATE],
      ['missing', null, NO_REALTIME_AGGREGATE],
    ]);
  });
});

describe('formats', () => {
  const rows: AggregateRow[] = [
    { group: 'a,"b"', startMs: 0, endMs: H, value: 1.25, status: 'authoritative', reason: null },
    {
      group: '=cmd',
      startMs: H,
      endMs: 2 * H,
      value: null,
      status: 'missing',
      reason: 'no_realtime_aggregate',
    },
  ];
  it('CSV quotes fields and defuses formula prefixes', () => {
    expect(csvField('x\ny')).toBe('"x\ny"');
    expect(csvField(-1)).toBe('-1');
    expect(toCsv(rows, 'UTC').split('\r\n')).toEqual([
      'group,start,end,value,status,reason',
      '"a,""b""",1970-01-01T00:00:00+00:00,1970-01-01T01:00:00+00:00,1.25,authoritative,',
      "'=cmd,1970-01-01T01:00:00+00:00,1970-01-01T02:00:00+00:00,,missing,no_realtime_aggregate",
      '',
    ]);
  });
  it('Arrow IPC stream round-trips with nulls', () => {
    const t = tableFromIPC(toArrow(rows, 'UTC'));
    expect(t.numRows).toBe(2);
    expect(t.getChild('value')?.get(0)).toBe(1.25);
    expect(t.getChild('value')?.get(1)).toBeNull();
    expect(t.getChild('reason')?.get(1)).toBe('no_realtime_aggregate');
    expect(tableFromIPC(toArrow([], 'UTC')).numRows).toBe(0);
  });
});
