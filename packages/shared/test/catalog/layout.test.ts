import { describe, expect, it } from 'vitest';
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  VIEW_NAMES,
  assertViewPartition,
  catalogHeadKey,
  catalogSettings,
  dataFileKey,
  datePartition,
  monthPartition,
  normalizePrefix,
  parseHead,
  parsePartition,
  snapshotKey,
  versionOf,
  CatalogFormatError,
} from '@ami/shared/catalog';
import { readSettings } from '@ami/shared/config';

describe('catalog layout', () => {
  it('partitions monthly views by month and the others by date', () => {
    expect([...MONTHLY_VIEWS].sort()).toEqual(['billing_determinants', 'meter_monthly']);
    expect(DAILY_VIEWS.length + MONTHLY_VIEWS.length).toBe(VIEW_NAMES.length);
    expect(assertViewPartition('billing_determinants', 'month=2026-03')).toEqual({
      kind: 'month',
      value: '2026-03',
    });
    expect(() => assertViewPartition('billing_determinants', 'date=2026-03-01')).toThrow(RangeError);
    expect(() => assertViewPartition('grid_15m', 'month=2026-03')).toThrow(RangeError);
  });

  it('parses and formats Hive partition ids strictly', () => {
    expect(datePartition('2026-03-29')).toBe('date=2026-03-29');
    expect(monthPartition('2026-03')).toBe('month=2026-03');
    expect(parsePartition('date=2026-02-28')).toEqual({ kind: 'date', value: '2026-02-28' });
    for (const bad of [
      'date=2026-02-30',
      'month=2026-13',
      'day=2026-01-01',
      'date2026-01-01',
      'date=2026-1-1',
    ])
      expect(() => parsePartition(bad)).toThrow(RangeError);
    expect(() => datePartition('2026-3-1')).toThrow(RangeError);
  });

  it('builds keys under the prefix, never reusing a data key across builds', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/a/b')).toBe('a/b/');
    expect(catalogHeadKey('t1')).toBe('t1/catalog/HEAD.json');
    expect(snapshotKey('', 42, 'abc123')).toBe('catalog/snapshots/000000000042-abc123.json');
    expect(() => snapshotKey('', 0, 'abc')).toThrow(RangeError);
    const sha = 'ab'.repeat(32);
    const k1 = dataFileKey('p/', 'meter_daily', 'date=2026-03-01', 'b1', 0, sha);
    expect(k1).toBe('p/views/meter_daily/date=2026-03-01/b1-000-abababababababab.parquet');
    expect(dataFileKey('p/', 'meter_daily', 'date=2026-03-01', 'b2', 0, sha)).not.toBe(k1);
    expect(() => dataFileKey('', 'meter_daily', 'date=2026-03-01', 'bad/id', 0, sha)).toThrow(RangeError);
    expect(versionOf(7)).toBe('v7');
  });

  it('validates HEAD documents', () => {
    expect(
      parseHead(
        '{"format":1,"seq":3,"snapshot":"catalog/snapshots/x.json","committedAt":"2026-01-01T00:00:00Z"}',
      ).seq,
    ).toBe(3);
    expect(() =>
      parseHead('{"format":1,"seq":0,"snapshot":"x","committedAt":"2026-01-01T00:00:00Z"}'),
    ).toThrow(CatalogFormatError);
    expect(() => parseHead('not json')).toThrow(CatalogFormatError);
  });

  it('declares its settings', () => {
    expect(readSettings(catalogSettings, {})).toEqual({ prefix: '', refreshMs: 1000 });
    expect(
      readSettings(catalogSettings, { AMI_CATALOG_PREFIX: 'lake/x', AMI_CATALOG_REFRESH_MS: '0' }),
    ).toEqual({
      prefix: 'lake/x/',
      refreshMs: 0,
    });
    expect(() => readSettings(catalogSettings, { AMI_CATALOG_PREFIX: '../x' })).toThrow(/AMI_CATALOG_PREFIX/);
  });
});
