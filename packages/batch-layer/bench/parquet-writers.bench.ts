/**
 * `pnpm ami bench parquet-writers [--quick]` — which Parquet writer lands the master dataset (SPEC 5,
 * SPEC 9 target: raw archive ≤ 8 bytes per interval read). The same simulated reads (simulator,
 * no faults; full: 2,000 meters × 2 local days ≈ 390 k reads, --quick: 300 × 1) validated with
 * validateRead and turned into archive rows, then written by each writer available on npm with its
 * best settings found:
 *  - DuckDB (@duckdb/node-api): appender → staging table → COPY … TO parquet (ZSTD, format-2 pages),
 *    the archiver's own ArchiveParquetWriter, at three ZSTD levels;
 *  - parquet-wasm (Rust parquet crate compiled to WebAssembly) fed apache-arrow tables (ZSTD,
 *    writer version 2, dictionary on);
 *  - parquetjs-lite (pure JS; GZIP and SNAPPY are its only codecs, PLAIN/RLE encodings);
 *  - hyparquet-writer (pure JS; GZIP through node:zlib, its default encodings).
 * Each writer writes the whole set as one file (sorted by meter_id, interval_start, as the archiver
 * does; the JS sort and the conversion to the writer's input are inside the timed part), best of
 * REPEATS runs. Reported per writer: reads/s and bytes per read, and every file is read back with
 * DuckDB to check it holds the same rows (a writer that loses rows fails the bench).
 * Then the archiver's real layout: reads split into 6 Kafka partitions by meter (murmur2), each
 * partition cut in time order into flushes of k reads per meter, one file per local date — the
 * bytes per interval read of the archive as it lands in S3, for k = 1, 4, 12, 96; and the same for
 * one partition's share of a 100,000-meter fleet (16,667 meters, 12 hours) at k = 4 and 12.
 * (@dsnp/parquetjs 1.9.3 was tried too: its npm package ships without its dist/ build, so it cannot
 * be imported.)
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  Bool,
  Float64,
  Int32,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeVector,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import * as wasm from 'parquet-wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { NO_FAULTS, simulate, type MessageSink } from '@ami/simulator';
import { openDuckDB, sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';
import { validateRead } from '@ami/shared/contracts';
import { writeBenchResult, type Figure } from '@ami/shared/bench';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { archiverSettings } from '../src/archiver/config.ts';
import { ArchiveParquetWriter } from '../src/archiver/parquet-writer.ts';
import {
  archivedRead,
  compareArchivedReads,
  groupByLocalDate,
  type ArchivedRead,
} from '../src/archiver/rows.ts';

const quick = process.argv.includes('--quick');
const METERS = quick ? 300 : 2_000;
const DAYS = quick ? 1 : 2;
const START = '2026-03-09';
const TZ = 'Europe/Stockholm';
const REPEATS = quick ? 1 : 2;
const PARTITIONS = 6;

const require = createRequire(import.meta.url);

/** The part of parquetjs-lite used here (it ships no types). */
interface ParquetLite {
  ParquetSchema: new (fields: Record<string, Record<string, unknown>>) => unknown;
  ParquetWriter: {
    openFile(
      schema: unknown,
      path: string,
      opts?: { rowGroupSize?: number; useDataPageV2?: boolean },
    ): Promise<{ appendRow(row: Record<string, unknown>): Promise<void>; close(): Promise<void> }>;
  };
}

class CollectingSink implements MessageSink {
  readonly reads: string[] = [];
  constructor(private readonly limit = Infinity) {}
  read(_key: string, value: string): void {
    if (this.reads.length < this.limit) this.reads.push(value);
  }
  event(): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function simulatedReads(): Promise<{ rows: ArchivedRead[]; messageBytes: number; invalid: number }> {
  const sink = new CollectingSink();
  await simulate(
    { seed: 7, meters: METERS, days: DAYS, startDate: START, timeZone: TZ, faults: NO_FAULTS },
    sink,
  );
  const nowMs = Date.now();
  const rows: ArchivedRead[] = [];
  let invalid = 0;
  for (const m of sink.reads) {
    const v = validateRead(m, { nowMs, timeZone: TZ });
    if (v.ok) rows.push(archivedRead(v.read));
    else invalid++;
  }
  let messageBytes = 0;
  for (const m of sink.reads) messageBytes += Buffer.byteLength(m);
  return { rows, messageBytes, invalid };
}

type Writer = (rows: readonly ArchivedRead[], file: string) => Promise<void>;

const sorted = (rows: readonly ArchivedRead[]) => [...rows].sort(compareArchivedReads);

function duckdbWriter(db: DuckDBInstance, zstdLevel: number): Writer {
  const w = new ArchiveParquetWriter(db, { zstdLevel });
  return async (rows, file) => writeFileSync(file, await w.writeReads(rows));
}

/** Columns parquet-wasm writes DELTA_BINARY_PACKED (dictionary off) in its `delta` variant. */
const DELTA_COLUMNS = ['interval_start', 'read_ts', 'consumption_wh', 'delivered_wh', 'received_wh'];

function parquetWasmWriter(delta: boolean): Writer {
  return (rows, file) => {
    const s = sorted(rows);
    const n = s.length;
    const i64 = (f: (r: ArchivedRead) => number) => BigInt64Array.from(s, (r) => BigInt(f(r)));
    const table = new Table({
      meter_id: vectorFromArray(
        s.map((r) => r.meter_id),
        new Utf8(),
      ),
      read_type: vectorFromArray(
        s.map((r) => r.read_type),
        new Utf8(),
      ),
      interval_start: vectorFromArray(
        s.map((r) => r.interval_start_ms),
        new TimestampMicrosecond('UTC'),
      ),
      read_ts: vectorFromArray(
        s.map((r) => r.read_ts_ms),
        new TimestampMicrosecond('UTC'),
      ),
      consumption_wh: makeVector(i64((r) => r.consumption_wh)),
      delivered_wh: makeVector(i64((r) => r.delivered_wh)),
      received_wh: makeVector(i64((r) => r.received_wh)),
      estimated_flag: vectorFromArray(
        s.map((r) => r.estimated_flag),
        new Bool(),
      ),
      voltage_v: vectorFromArray(
        s.map((r) => r.voltage_v),
        new Float64(),
      ),
      power_quality_code: vectorFromArray(
        s.map((r) => r.power_quality_code),
        new Int32(),
      ),
      service_point_id: vectorFromArray(
        s.map((r) => r.service_point_id),
        new Utf8(),
      ),
      customer_id: vectorFromArray(
        s.map((r) => r.customer_id),
        new Utf8(),
      ),
      transformer_id: vectorFromArray(
        s.map((r) => r.transformer_id),
        new Utf8(),
      ),
      feeder_id: vectorFromArray(
        s.map((r) => r.feeder_id),
        new Utf8(),
      ),
    });
    if (table.numRows !== n) throw new Error('arrow table lost rows');
    let builder = new wasm.WriterPropertiesBuilder()
      .setCompression(wasm.Compression.ZSTD)
      .setWriterVersion(wasm.WriterVersion.V2)
      .setDictionaryEnabled(true)
      .setMaxRowGroupSize(1_000_000);
    if (delta) {
      for (const c of DELTA_COLUMNS) {
        builder = builder
          .setColumnDictionaryEnabled(c, false)
          .setColumnEncoding(c, wasm.Encoding.DELTA_BINARY_PACKED);
      }
      builder = builder
        .setColumnDictionaryEnabled('voltage_v', false)
        .setColumnEncoding('voltage_v', wasm.Encoding.BYTE_STREAM_SPLIT);
    }
    const props = builder.build();
    const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
    writeFileSync(file, bytes);
    return Promise.resolve();
  };
}

function parquetjsLiteWriter(compression: 'GZIP' | 'SNAPPY'): Writer {
  const lite = require('parquetjs-lite') as ParquetLite;
  const text = { type: 'UTF8', compression };
  const int64 = { type: 'INT64', compression };
  const schema = new lite.ParquetSchema({
    meter_id: text,
    read_type: text,
    interval_start: { type: 'TIMESTAMP_MILLIS', compression },
    read_ts: { type: 'TIMESTAMP_MILLIS', compression },
    consumption_wh: int64,
    delivered_wh: int64,
    received_wh: int64,
    estimated_flag: { type: 'BOOLEAN', compression },
    voltage_v: { type: 'DOUBLE', optional: true, compression },
    power_quality_code: { type: 'INT32', optional: true, compression },
    service_point_id: text,
    customer_id: text,
    transformer_id: text,
    feeder_id: text,
  });
  return async (rows, file) => {
    const w = await lite.ParquetWriter.openFile(schema, file, { rowGroupSize: 1_000_000 });
    for (const r of sorted(rows)) {
      const row: Record<string, unknown> = {
        meter_id: r.meter_id,
        read_type: r.read_type,
        interval_start: new Date(r.interval_start_ms),
        read_ts: new Date(r.read_ts_ms),
        consumption_wh: r.consumption_wh,
        delivered_wh: r.delivered_wh,
        received_wh: r.received_wh,
        estimated_flag: r.estimated_flag,
        service_point_id: r.service_point_id,
        customer_id: r.customer_id,
        transformer_id: r.transformer_id,
        feeder_id: r.feeder_id,
      };
      if (r.voltage_v !== null) row.voltage_v = r.voltage_v;
      if (r.power_quality_code !== null) row.power_quality_code = r.power_quality_code;
      await w.appendRow(row);
    }
    await w.close();
  };
}

function hyparquetWriter(): Writer {
  return (rows, file) => {
    const s = sorted(rows);
    const col = <T>(
      name: string,
      type: 'STRING' | 'INT64' | 'DOUBLE' | 'INT32' | 'BOOLEAN' | 'TIMESTAMP',
      f: (r: ArchivedRead) => T,
      nullable = false,
    ) => ({
      name,
      type,
      nullable,
      data: s.map(f),
    });
    const buf = parquetWriteBuffer({
      codec: 'GZIP',
      compressors: { GZIP: (input: Uint8Array) => gzipSync(input, { level: 9 }) },
      rowGroupSize: 1_000_000,
      columnData: [
        col('meter_id', 'STRING', (r) => r.meter_id),
        col('read_type', 'STRING', (r) => r.read_type),
        col('interval_start', 'TIMESTAMP', (r) => new Date(r.interval_start_ms)),
        col('read_ts', 'TIMESTAMP', (r) => new Date(r.read_ts_ms)),
        col('consumption_wh', 'INT64', (r) => BigInt(r.consumption_wh)),
        col('delivered_wh', 'INT64', (r) => BigInt(r.delivered_wh)),
        col('received_wh', 'INT64', (r) => BigInt(r.received_wh)),
        col('estimated_flag', 'BOOLEAN', (r) => r.estimated_flag),
        col('voltage_v', 'DOUBLE', (r) => r.voltage_v, true),
        col('power_quality_code', 'INT32', (r) => r.power_quality_code, true),
        col('service_point_id', 'STRING', (r) => r.service_point_id),
        col('customer_id', 'STRING', (r) => r.customer_id),
        col('transformer_id', 'STRING', (r) => r.transformer_id),
        col('feeder_id', 'STRING', (r) => r.feeder_id),
      ],
    });
    writeFileSync(file, new Uint8Array(buf));
    return Promise.resolve();
  };
}

/** Row count, integer energy sum and distinct identities of a written file, read back with DuckDB. */
async function readBack(db: DuckDBInstance, file: string): Promise<string> {
  return withConnection(db, async (c) => {
    const r = await c.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, sum(consumption_wh)::BIGINT AS wh, sum(delivered_wh)::BIGINT AS d,
              count(DISTINCT (meter_id, read_type, epoch_ms(interval_start)))::BIGINT AS ids,
              sum(epoch_ms(read_ts) % 1000003)::BIGINT AS ts, sum(round(coalesce(voltage_v, 0) * 1000))::BIGINT AS v
       FROM read_parquet(${sqlPath(file)})`,
    );
    return JSON.stringify(r.getRowObjectsJS()[0], (_k, v: unknown) =>
      typeof v === 'bigint' ? String(v) : v,
    );
  });
}

function expectedSummary(rows: readonly ArchivedRead[]): string {
  let wh = 0;
  let d = 0;
  let ts = 0;
  let v = 0;
  const ids = new Set<string>();
  for (const r of rows) {
    wh += r.consumption_wh;
    d += r.delivered_wh;
    ts += r.read_ts_ms % 1000003;
    v += Math.round((r.voltage_v ?? 0) * 1000);
    ids.add(`${r.meter_id}|${r.read_type}|${r.interval_start_ms}`);
  }
  return JSON.stringify({
    n: String(rows.length),
    wh: String(wh),
    d: String(d),
    ids: String(ids.size),
    ts: String(ts),
    v: String(v),
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { rows, messageBytes, invalid } = await simulatedReads();
  const intervalReads = rows.filter((r) => r.read_type === 'INTERVAL').length;
  process.stderr.write(
    `${rows.length} valid reads (${intervalReads} interval) from ${METERS} meters × ${DAYS} days in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  if (invalid !== 0) throw new Error(`${invalid} simulated reads failed validation`);
  const db = await openDuckDB({ threads: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'ami-bench-parquet-'));
  const writers: Record<string, Writer> = {
    duckdb_zstd3: duckdbWriter(db, 3),
    duckdb_zstd9: duckdbWriter(db, 9),
    duckdb_zstd19: duckdbWriter(db, 19),
    parquet_wasm_zstd: parquetWasmWriter(false),
    parquet_wasm_zstd_delta: parquetWasmWriter(true),
    parquetjs_lite_gzip: parquetjsLiteWriter('GZIP'),
    parquetjs_lite_snappy: parquetjsLiteWriter('SNAPPY'),
    hyparquet_writer_gzip9: hyparquetWriter(),
  };
  const expected = expectedSummary(rows);
  const figures: Record<string, Figure> = {
    meters: METERS,
    local_days: DAYS,
    reads: rows.length,
    interval_reads: intervalReads,
    message_json_bytes_per_read: Number((messageBytes / rows.length).toFixed(1)),
  };
  for (const [name, write] of Object.entries(writers)) {
    let best = Infinity;
    let bytes = 0;
    const file = join(dir, `${name}.parquet`);
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      await write(rows, file);
      best = Math.min(best, performance.now() - t);
      bytes = readFileSync(file).length;
    }
    const got = await readBack(db, file);
    if (got !== expected) throw new Error(`${name}: read back ${got}, expected ${expected}`);
    figures[`${name}_reads_per_s`] = Math.round(rows.length / (best / 1000));
    figures[`${name}_bytes_per_read`] = Number((bytes / rows.length).toFixed(3));
    process.stderr.write(
      `${name}: ${Math.round(rows.length / (best / 1000))} reads/s, ${(bytes / rows.length).toFixed(3)} B/read\n`,
    );
  }

  // The archiver's layout: reads split into Kafka partitions by meter, each partition cut in produce
  // (= time) order into files of `k` reads per meter (what a flush holds: k = flush age / 15 min,
  // or flush rows / meters per partition), one file per local date. For a fleet of 100,000 meters
  // on 6 partitions the default AMI_ARCHIVER_FLUSH_AGE_S=3600 gives k = 4; the default
  // AMI_ARCHIVER_FLUSH_ROWS=200000 caps k at 12; k = 96 is a whole day per file.
  const layoutWriter = new ArchiveParquetWriter(db, {
    zstdLevel: Number(archiverSettings.zstdLevel.default),
  });
  const parts = new Map<number, ArchivedRead[]>();
  for (const r of rows) {
    const p = partitionOfMeter(r.meter_id, PARTITIONS);
    const list = parts.get(p) ?? [];
    list.push(r);
    parts.set(p, list);
  }
  for (const k of [1, 4, 12, 96]) {
    let bytes = 0;
    let files = 0;
    for (const list of parts.values()) {
      const meters = new Set(list.map((r) => r.meter_id)).size;
      const cut = meters * k;
      for (let i = 0; i < list.length; i += cut) {
        const groups = groupByLocalDate(list.slice(i, i + cut), (r) => r.interval_start_ms, TZ);
        for (const day of groups.values()) {
          bytes += (await layoutWriter.writeReads(day)).length;
          files++;
        }
      }
    }
    figures[`archive_${k}_reads_per_meter_per_file_files`] = files;
    figures[`archive_${k}_reads_per_meter_per_file_bytes_per_interval_read`] = Number(
      (bytes / intervalReads).toFixed(3),
    );
  }

  // One partition of a 100,000-meter fleet on 6 partitions (16,667 meters), its first 12 hours,
  // cut every k intervals: the per-file costs (id dictionaries, footers) at fleet scale.
  const fleetMeters = quick ? 2_000 : 16_667;
  const hours = 12;
  const sink = new CollectingSink(fleetMeters * 4 * hours);
  await simulate(
    { seed: 9, meters: fleetMeters, days: 1, startDate: START, timeZone: TZ, faults: NO_FAULTS },
    sink,
  );
  const nowMs = Date.now();
  const fleetRows: ArchivedRead[] = [];
  for (const m of sink.reads) {
    const v = validateRead(m, { nowMs, timeZone: TZ });
    if (v.ok) fleetRows.push(archivedRead(v.read));
  }
  sink.reads.length = 0;
  const fleetInterval = fleetRows.filter((r) => r.read_type === 'INTERVAL').length;
  figures.fleet_partition_meters = fleetMeters;
  figures.fleet_partition_interval_reads = fleetInterval;
  for (const k of [4, 12]) {
    let bytes = 0;
    const cut = fleetMeters * k;
    for (let i = 0; i < fleetRows.length; i += cut) {
      for (const day of groupByLocalDate(
        fleetRows.slice(i, i + cut),
        (r) => r.interval_start_ms,
        TZ,
      ).values()) {
        bytes += (await layoutWriter.writeReads(day)).length;
      }
    }
    figures[`fleet_partition_${k}_reads_per_meter_per_file_bytes_per_interval_read`] = Number(
      (bytes / fleetInterval).toFixed(3),
    );
  }
  await layoutWriter.close();
  figures.target_bytes_per_interval_read = 8;
  writeBenchResult('parquet-writers', figures);
  rmSync(dir, { recursive: true, force: true });
  db.closeSync();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
