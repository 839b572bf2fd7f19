import { describe, expect, it } from 'vitest';
import { readVersionContent, validateEvent, validateRead } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { localDayBounds, parseIsoInstant } from '@ami/shared/time';
import {
  PartitionBuffer,
  archiveObjectKey,
  archivedEvent,
  archivedRead,
  compareArchivedReads,
  groupByLocalDate,
  loadArchiverSettings,
  parseArchiveObjectKey,
  parseKeyPrefix,
  quarantined,
  readVersionOf,
  type ArchivedRead,
} from '../../src/archiver/index.ts';

const TZ = 'Europe/Stockholm';
const NOW = Date.parse('2026-11-01T00:00:00Z');

function intervalRead(meter: string, start: string, over: Record<string, unknown> = {}): string {
  const s = parseIsoInstant(start);
  return JSON.stringify({
    meter_id: meter,
    service_point_id: `SP-${meter}`,
    customer_id: `CUST-${meter}`,
    transformer_id: 'TX-00001',
    feeder_id: 'FDR-001',
    read_type: 'INTERVAL',
    interval_start: new Date(s).toISOString(),
    interval_end: new Date(s + 900_000).toISOString(),
    consumption_kwh: 0.123,
    delivered_kwh: 0.125,
    received_kwh: 0.002,
    voltage_v: 231.4,
    power_quality_code: 0,
    estimated_flag: false,
    read_ts: new Date(s + 960_000).toISOString(),
    ...over,
  });
}

function valid(json: string): ArchivedRead {
  const v = validateRead(json, { nowMs: NOW, timeZone: TZ });
  if (!v.ok) throw new Error(`${v.reason}: ${v.detail}`);
  return archivedRead(v.read);
}

describe('row conversion', () => {
  it('keeps every field of the latest-wins version, with energies in integer Wh', () => {
    const v = validateRead(intervalRead('MTR-000001', '2026-03-29T00:45:00Z'), { nowMs: NOW, timeZone: TZ });
    if (!v.ok) throw new Error(v.detail);
    const row = archivedRead(v.read);
    expect(row).toEqual({
      meter_id: 'MTR-000001',
      read_type: 'INTERVAL',
      interval_start_ms: Date.parse('2026-03-29T00:45:00Z'),
      read_ts_ms: Date.parse('2026-03-29T01:01:00Z'),
      consumption_wh: 123,
      delivered_wh: 125,
      received_wh: 2,
      estimated_flag: false,
      voltage_v: 231.4,
      power_quality_code: 0,
      service_point_id: 'SP-MTR-000001',
      customer_id: 'CUST-MTR-000001',
      transformer_id: 'TX-00001',
      feeder_id: 'FDR-001',
    });
    // the archived row is the same version as the message for the shared latest-wins rule
    expect(readVersionContent(readVersionOf(row))).toBe(readVersionContent(v.read));
  });

  it('keeps a DAILY register read with null voltage', () => {
    const midnight = localDayBounds('2026-03-29', TZ).startMs;
    const row = valid(
      intervalRead('MTR-000002', new Date(midnight).toISOString(), {
        read_type: 'DAILY',
        interval_end: new Date(midnight).toISOString(),
        consumption_kwh: 1234.5,
        delivered_kwh: 1300.5,
        received_kwh: 66,
        voltage_v: null,
        power_quality_code: null,
      }),
    );
    expect(row).toMatchObject({
      read_type: 'DAILY',
      consumption_wh: 1_234_500,
      delivered_wh: 1_300_500,
      received_wh: 66_000,
      voltage_v: null,
      power_quality_code: null,
    });
  });

  it('converts events and quarantines invalid messages with the validator reason', () => {
    const e = validateEvent(
      JSON.stringify({
        meter_id: 'MTR-1',
        event_code: 3840,
        event_desc: 'last gasp',
        event_ts: '2026-03-29T10:00:05+02:00',
      }),
      { nowMs: NOW, eventCodes: defaultEventCodeTable },
    );
    if (!e.ok) throw new Error(e.detail);
    expect(archivedEvent(e.event)).toEqual({
      meter_id: 'MTR-1',
      event_code: 3840,
      event_desc: 'last gasp',
      event_ts_ms: Date.parse('2026-03-29T08:00:05Z'),
    });
    const bad = validateRead('{"meter_id":', { nowMs: NOW, timeZone: TZ });
    if (bad.ok) throw new Error('expected a rejection');
    const q = quarantined(
      {
        topic: 'reads',
        partition: 2,
        offset: '17',
        key: Buffer.from('MTR-1'),
        value: Buffer.from('{"meter_id":'),
        receivedAtMs: NOW,
      },
      bad,
    );
    expect(q).toMatchObject({
      payload: '{"meter_id":',
      payload_encoding: 'utf8',
      reason: 'MALFORMED_JSON',
      source_topic: 'reads',
      source_partition: 2,
      source_offset: '17',
      key: 'MTR-1',
      received_at_ms: NOW,
      path: null,
    });
  });
});

describe('grouping by local date', () => {
  it('splits at local midnight, not UTC midnight, on the spring-forward day (92 intervals)', () => {
    const { startMs, endMs } = localDayBounds('2026-03-29', TZ);
    expect((endMs - startMs) / 900_000).toBe(92);
    const starts = [startMs - 900_000, startMs, endMs - 900_000, endMs];
    const rows = starts.map((s) => valid(intervalRead('MTR-000001', new Date(s).toISOString())));
    const groups = groupByLocalDate(rows, (r) => r.interval_start_ms, TZ);
    expect([...groups.keys()]).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(groups.get('2026-03-29')?.map((r) => r.interval_start_ms)).toEqual([startMs, endMs - 900_000]);
    // 2026-03-28T23:15Z is 00:15 local on the 29th (UTC+1 before the change)
    expect(groups.get('2026-03-28')?.[0]?.interval_start_ms).toBe(Date.parse('2026-03-28T22:45:00Z'));
  });

  it('handles the fall-back day (100 intervals) and attributes 23:45 to its own day', () => {
    const { startMs, endMs } = localDayBounds('2026-10-25', TZ);
    expect((endMs - startMs) / 900_000).toBe(100);
    const all = Array.from({ length: 102 }, (_, i) => startMs - 900_000 + i * 900_000);
    const groups = groupByLocalDate(all, (ms) => ms, TZ);
    expect(groups.get('2026-10-24')).toEqual([startMs - 900_000]);
    expect(groups.get('2026-10-25')).toHaveLength(100);
    expect(groups.get('2026-10-26')).toEqual([endMs]);
  });

  it('sorts reads by meter, then interval start (DAILY before INTERVAL at the same instant)', () => {
    const midnight = localDayBounds('2026-03-29', TZ).startMs;
    const a = valid(intervalRead('MTR-000002', new Date(midnight).toISOString()));
    const b = valid(intervalRead('MTR-000001', new Date(midnight + 900_000).toISOString()));
    const c = valid(intervalRead('MTR-000001', new Date(midnight).toISOString()));
    const d = valid(
      intervalRead('MTR-000001', new Date(midnight).toISOString(), {
        read_type: 'DAILY',
        interval_end: new Date(midnight).toISOString(),
        voltage_v: null,
        power_quality_code: null,
      }),
    );
    expect([a, b, c, d].sort(compareArchivedReads)).toEqual([d, c, b, a]);
  });
});

describe('object keys', () => {
  it('are deterministic from group, partition and offsets, and parse back', () => {
    const o = {
      dataset: 'raw' as const,
      kind: 'reads' as const,
      date: '2026-03-29',
      groupId: 'ami-archiver',
      partition: 4,
      firstOffset: '1200',
      lastOffset: '1499',
    };
    const key = archiveObjectKey('lake/', o);
    expect(key).toBe(
      'lake/raw/reads/date=2026-03-29/ami-archiver-p4-00000000000000001200-00000000000000001499.parquet',
    );
    expect(archiveObjectKey('lake/', { ...o })).toBe(key);
    expect(parseArchiveObjectKey(key)).toEqual({ ...o, prefix: 'lake/' });
    const odd = { ...o, dataset: 'quarantine' as const, kind: 'events' as const, groupId: 'a/b c' };
    expect(parseArchiveObjectKey(archiveObjectKey('', odd))).toEqual({ ...odd, prefix: '' });
    expect(parseArchiveObjectKey('raw/reads/date=2026-02-30/g-p1-x.parquet')).toBeUndefined();
  });

  it('reject bad offsets, dates and prefixes', () => {
    const o = {
      dataset: 'raw' as const,
      kind: 'reads' as const,
      date: '2026-03-29',
      groupId: 'g',
      partition: 0,
    };
    expect(() => archiveObjectKey('', { ...o, firstOffset: '5', lastOffset: '4' })).toThrow(/after/);
    expect(() => archiveObjectKey('', { ...o, firstOffset: '-1', lastOffset: '4' })).toThrow(/offset/);
    expect(() =>
      archiveObjectKey('', { ...o, date: '2026-13-01', firstOffset: '1', lastOffset: '4' }),
    ).toThrow(/date/);
    expect(parseKeyPrefix('it/run-1/')).toBe('it/run-1/');
    expect(() => parseKeyPrefix('no-slash')).toThrow();
    expect(() => parseKeyPrefix('../x/')).toThrow();
  });
});

describe('partition buffer and flush plan', () => {
  it('plans one object per dataset and local date, named from the offset range, and the commit offset', () => {
    const buf = new PartitionBuffer('reads-topic', 3, 'reads');
    expect(buf.plan({ prefix: '', groupId: 'g', timeZone: TZ })).toBeUndefined();
    const day1 = localDayBounds('2026-03-28', TZ).startMs;
    const day2 = localDayBounds('2026-03-29', TZ).startMs;
    buf.reads.push(valid(intervalRead('M1', new Date(day2).toISOString())));
    buf.consumed('10', NOW);
    buf.reads.push(valid(intervalRead('M1', new Date(day1 + 3_600_000).toISOString())));
    buf.consumed('11', NOW);
    const bad = validateRead('[]', { nowMs: NOW, timeZone: TZ });
    if (bad.ok) throw new Error('expected a rejection');
    buf.quarantine.push(
      quarantined(
        {
          topic: 'reads-topic',
          partition: 3,
          offset: '14',
          key: null,
          value: '[]',
          receivedAtMs: day2 + 60_000,
        },
        bad,
      ),
    );
    buf.consumed('14', NOW + 5);
    expect(buf.accepts('14')).toBe(false);
    expect(buf.accepts('15')).toBe(true);
    expect(buf.size).toBe(3);
    expect(buf.startedAtMs).toBe(NOW);
    const plan = buf.plan({ prefix: 'p/', groupId: 'g', timeZone: TZ });
    const range = 'g-p3-00000000000000000010-00000000000000000014.parquet';
    expect(plan?.objects.map((o) => [o.table, o.key, o.rows.length])).toEqual([
      ['reads', `p/raw/reads/date=2026-03-28/${range}`, 1],
      ['reads', `p/raw/reads/date=2026-03-29/${range}`, 1],
      ['quarantine', `p/quarantine/reads/date=2026-03-29/${range}`, 1],
    ]);
    expect(plan?.dirtyDates).toEqual(['2026-03-28', '2026-03-29']);
    expect(plan?.commitOffset).toBe('15');
  });

  it('marks the day before a DAILY register read dirty too (it is that day’s end register)', () => {
    const reads = new PartitionBuffer('reads-topic', 0, 'reads');
    const midnight = localDayBounds('2026-03-29', TZ).startMs;
    const daily = validateRead(
      JSON.stringify({
        ...JSON.parse(intervalRead('M1', new Date(midnight).toISOString())),
        read_type: 'DAILY',
        interval_end: new Date(midnight).toISOString(),
        consumption_kwh: 1234.5,
        delivered_kwh: 1234.5,
        received_kwh: 0,
      }),
      { nowMs: NOW, timeZone: TZ },
    );
    if (!daily.ok) throw new Error(daily.detail);
    reads.reads.push(archivedRead(daily.read));
    reads.consumed('1', NOW);
    expect(reads.plan({ prefix: '', groupId: 'g', timeZone: TZ })?.dirtyDates).toEqual([
      '2026-03-28',
      '2026-03-29',
    ]);
  });
});

describe('settings', () => {
  it('has defaults and rejects bad values', () => {
    const s = loadArchiverSettings({});
    expect(s).toMatchObject({ groupId: 'ami-archiver', flushRows: 200_000, flushAgeS: 3600, s3Prefix: '' });
    expect(() => loadArchiverSettings({ AMI_ARCHIVER_FLUSH_ROWS: '0', AMI_ARCHIVER_S3_PREFIX: 'x' })).toThrow(
      /AMI_ARCHIVER_FLUSH_ROWS[\s\S]*AMI_ARCHIVER_S3_PREFIX/,
    );
  });
});
