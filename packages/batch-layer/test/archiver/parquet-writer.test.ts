import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDB, sqlPath, withConnection } from '@ami/shared/clients';
import {
  ArchiveParquetWriter,
  compareArchivedReads,
  type ArchivedEvent,
  type ArchivedRead,
  type QuarantinedMessage,
} from '../../src/archiver/index.ts';

const base: ArchivedRead = {
  meter_id: 'MTR-000002',
  read_type: 'INTERVAL',
  interval_start_ms: Date.parse('2026-03-29T00:45:00Z'),
  read_ts_ms: Date.parse('2026-03-29T01:01:07.123Z'),
  consumption_wh: -812,
  delivered_wh: 3,
  received_wh: 815,
  estimated_flag: true,
  voltage_v: 229.97,
  power_quality_code: 1,
  service_point_id: 'SP-000002',
  customer_id: 'CUST-000002',
  transformer_id: 'TX-00001',
  feeder_id: 'FDR-001',
};

describe('ArchiveParquetWriter (embedded DuckDB)', async () => {
  const db = await openDuckDB({ threads: 1 });
  const writer = new ArchiveParquetWriter(db, { zstdLevel: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'ami-writer-test-'));

  afterAll(async () => {
    await writer.close();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readBack(bytes: Buffer, select: string): Promise<Record<string, unknown>[]> {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.parquet`);
    writeFileSync(file, bytes);
    return withConnection(db, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT ${select} FROM read_parquet(${sqlPath(file)}, file_row_number = true) ORDER BY file_row_number`,
      );
      return r.getRowObjectsJS();
    });
  }

  it('round-trips reads exactly (instants to the ms, Wh up to register sizes, nulls) in sorted order', async () => {
    const rows: ArchivedRead[] = [
      base,
      { ...base, meter_id: 'MTR-000001', interval_start_ms: base.interval_start_ms + 900_000 },
      {
        ...base,
        meter_id: 'MTR-000001',
        read_type: 'DAILY',
        interval_start_ms: Date.parse('2026-03-28T23:00:00Z'),
        read_ts_ms: Date.parse('2026-03-29T00:03:00Z'),
        consumption_wh: 999_999_999_000,
        delivered_wh: 1_000_000_000_000,
        received_wh: 1_000,
        voltage_v: null,
        power_quality_code: null,
        estimated_flag: false,
      },
    ];
    const bytes = await writer.writeReads(rows);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    const back = await readBack(
      bytes,
      `meter_id, read_type, epoch_ms(interval_start) AS s, epoch_ms(read_ts) AS t, consumption_wh,
       delivered_wh, received_wh, estimated_flag, voltage_v, power_quality_code, service_point_id,
       customer_id, transformer_id, feeder_id, typeof(interval_start) AS ts_type, typeof(consumption_wh) AS wh_type`,
    );
    const sorted = [...rows].sort(compareArchivedReads);
    expect(back.map((r) => r.meter_id)).toEqual(sorted.map((r) => r.meter_id));
    expect(
      back.map((r) => ({
        meter_id: r.meter_id,
        read_type: r.read_type,
        interval_start_ms: Number(r.s),
        read_ts_ms: Number(r.t),
        consumption_wh: Number(r.consumption_wh),
        delivered_wh: Number(r.delivered_wh),
        received_wh: Number(r.received_wh),
        estimated_flag: r.estimated_flag,
        voltage_v: r.voltage_v,
        power_quality_code: r.power_quality_code,
        service_point_id: r.service_point_id,
        customer_id: r.customer_id,
        transformer_id: r.transformer_id,
        feeder_id: r.feeder_id,
      })),
    ).toEqual(sorted);
    expect(back[0]?.ts_type).toBe('TIMESTAMP WITH TIME ZONE');
    expect(back[0]?.wh_type).toBe('BIGINT');
  });

  it('writes events and quarantine rows with their metadata', async () => {
    const events: ArchivedEvent[] = [
      { meter_id: 'MTR-2', event_code: 3843, event_desc: 'restored', event_ts_ms: 1_774_738_800_500 },
      { meter_id: 'MTR-1', event_code: 3840, event_desc: 'last gasp', event_ts_ms: 1_774_738_900_000 },
    ];
    const ev = await readBack(
      await writer.writeEvents(events),
      'meter_id, event_code, event_desc, epoch_ms(event_ts) AS t',
    );
    expect(ev).toEqual([
      { meter_id: 'MTR-1', event_code: 3840, event_desc: 'last gasp', t: 1_774_738_900_000n },
      { meter_id: 'MTR-2', event_code: 3843, event_desc: 'restored', t: 1_774_738_800_500n },
    ]);
    const q: QuarantinedMessage = {
      payload: '{"meter_id":',
      payload_encoding: 'utf8',
      reason: 'MALFORMED_JSON',
      detail: 'Unexpected end of JSON input',
      path: null,
      keyword: null,
      source_topic: 'ami.headend.reads',
      source_partition: 5,
      source_offset: '9007199254740993',
      key: null,
      received_at_ms: 1_774_738_800_000,
    };
    const bytes = await writer.writeQuarantine([{ ...q, source_offset: '12' }, q]);
    const qb = await readBack(
      bytes,
      'payload, reason, detail, path, key, source_partition, source_offset, epoch_ms(received_at) AS r',
    );
    expect(qb.map((r) => r.source_offset)).toEqual([12n, 9007199254740993n]);
    expect(qb[1]).toMatchObject({
      payload: q.payload,
      reason: 'MALFORMED_JSON',
      path: null,
      key: null,
      r: 1_774_738_800_000n,
    });
    const meta = await withConnection(db, async (c) => {
      const file = join(dir, 'meta.parquet');
      writeFileSync(file, bytes);
      const r = await c.runAndReadAll(
        `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlPath(file)}) ORDER BY 1`,
      );
      return r.getRowObjectsJS();
    });
    expect(meta).toEqual([
      { k: 'archive_format', v: '1' },
      { k: 'archive_table', v: 'quarantine' },
    ]);
  });
});
