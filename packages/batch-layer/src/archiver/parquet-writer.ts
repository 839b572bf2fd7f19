/**
 * Writes master-dataset rows to Parquet bytes with DuckDB (@duckdb/node-api): rows go through an
 * appender into a connection-local staging table, then `COPY (SELECT … ORDER BY …) TO` a temporary
 * file with the archive's encodings — Parquet format 2 pages (DELTA_BINARY_PACKED instants and
 * integers, dictionary + RLE ids), ZSTD at a configurable level, row groups of ROW_GROUP_ROWS rows. Chosen over parquetjs-lite and parquet-wasm by the measurements of
 * docs/adr/0006-parquet-writer-for-the-master-dataset.md.
 *
 * Columns (archive format 1):
 *  reads:      meter_id, read_type, interval_start, read_ts (TIMESTAMPTZ), consumption_wh,
 *              delivered_wh, received_wh (BIGINT Wh), estimated_flag, voltage_v (DOUBLE, null for
 *              some DAILY), power_quality_code (INTEGER, null for some DAILY), service_point_id,
 *              customer_id, transformer_id, feeder_id — sorted by (meter_id, interval_start, …).
 *  events:     meter_id, event_code, event_desc, event_ts — sorted by (meter_id, event_ts).
 *  quarantine: payload, payload_encoding, reason, detail, path, keyword, source_topic,
 *              source_partition, source_offset (BIGINT), key, received_at — in offset order.
 * Instants are staged as DOUBLE epoch ms (exact below 2^53) and become TIMESTAMPTZ (µs, UTC).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { sqlPath } from '@ami/shared/clients';
import { ARCHIVE_FORMAT, type ArchivedEvent, type ArchivedRead, type QuarantinedMessage } from './rows.ts';

/**
 * Rows per Parquet row group (DuckDB's default). Measured: with 1 M-row groups DuckDB keeps a
 * dictionary for read_ts (≈ 1.4 B/read) where 122,880-row groups get DELTA_BINARY_PACKED
 * (≈ 0.09 B/read): 7.2 vs 5.0 B per read on a day of 2,000 meters.
 */
export const ROW_GROUP_ROWS = 122_880;

interface TableSpec<T> {
  readonly name: string;
  /** Staging columns: name and DuckDB type. */
  readonly staging: readonly (readonly [string, string])[];
  /** SELECT list of the written file over the staging table. */
  readonly select: string;
  readonly orderBy: string;
  readonly append: (a: DuckDBAppender, row: T) => void;
}

const nullableDouble = (a: DuckDBAppender, v: number | null) =>
  v === null ? a.appendNull() : a.appendDouble(v);
const nullableInt = (a: DuckDBAppender, v: number | null) =>
  v === null ? a.appendNull() : a.appendInteger(v);
const nullableText = (a: DuckDBAppender, v: string | null) =>
  v === null ? a.appendNull() : a.appendVarchar(v);
const ts = (col: string, as: string) => `make_timestamptz((${col} * 1000)::BIGINT) AS ${as}`;

export const READS_TABLE: TableSpec<ArchivedRead> = {
  name: 'reads',
  staging: [
    ['meter_id', 'VARCHAR'],
    ['read_type', 'VARCHAR'],
    ['interval_start_ms', 'DOUBLE'],
    ['read_ts_ms', 'DOUBLE'],
    ['consumption_wh', 'DOUBLE'],
    ['delivered_wh', 'DOUBLE'],
    ['received_wh', 'DOUBLE'],
    ['estimated_flag', 'BOOLEAN'],
    ['voltage_v', 'DOUBLE'],
    ['power_quality_code', 'INTEGER'],
    ['service_point_id', 'VARCHAR'],
    ['customer_id', 'VARCHAR'],
    ['transformer_id', 'VARCHAR'],
    ['feeder_id', 'VARCHAR'],
  ],
  select: [
    'meter_id',
    'read_type',
    ts('interval_start_ms', 'interval_start'),
    ts('read_ts_ms', 'read_ts'),
    'consumption_wh::BIGINT AS consumption_wh',
    'delivered_wh::BIGINT AS delivered_wh',
    'received_wh::BIGINT AS received_wh',
    'estimated_flag',
    'voltage_v',
    'power_quality_code',
    'service_point_id',
    'customer_id',
    'transformer_id',
    'feeder_id',
  ].join(', '),
  orderBy: 'meter_id, interval_start, read_type, read_ts, consumption_wh',
  append: (a, r) => {
    a.appendVarchar(r.meter_id);
    a.appendVarchar(r.read_type);
    a.appendDouble(r.interval_start_ms);
    a.appendDouble(r.read_ts_ms);
    a.appendDouble(r.consumption_wh);
    a.appendDouble(r.delivered_wh);
    a.appendDouble(r.received_wh);
    a.appendBoolean(r.estimated_flag);
    nullableDouble(a, r.voltage_v);
    nullableInt(a, r.power_quality_code);
    a.appendVarchar(r.service_point_id);
    a.appendVarchar(r.customer_id);
    a.appendVarchar(r.transformer_id);
    a.appendVarchar(r.feeder_id);
  },
};

export const EVENTS_TABLE: TableSpec<ArchivedEvent> = {
  name: 'events',
  staging: [
    ['meter_id', 'VARCHAR'],
    ['event_code', 'INTEGER'],
    ['event_desc', 'VARCHAR'],
    ['event_ts_ms', 'DOUBLE'],
  ],
  select: `meter_id, event_code, event_desc, ${ts('event_ts_ms', 'event_ts')}`,
  orderBy: 'meter_id, event_ts, event_code, event_desc',
  append: (a, e) => {
    a.appendVarchar(e.meter_id);
    a.appendInteger(e.event_code);
    a.appendVarchar(e.event_desc);
    a.appendDouble(e.event_ts_ms);
  },
};

export const QUARANTINE_TABLE: TableSpec<QuarantinedMessage> = {
  name: 'quarantine',
  staging: [
    ['payload', 'VARCHAR'],
    ['payload_encoding', 'VARCHAR'],
    ['reason', 'VARCHAR'],
    ['detail', 'VARCHAR'],
    ['path', 'VARCHAR'],
    ['keyword', 'VARCHAR'],
    ['source_topic', 'VARCHAR'],
    ['source_partition', 'INTEGER'],
    ['source_offset', 'VARCHAR'],
    ['key', 'VARCHAR'],
    ['received_at_ms', 'DOUBLE'],
  ],
  select:
    'payload, payload_encoding, reason, detail, path, keyword, source_topic, source_partition, ' +
    `source_offset::BIGINT AS source_offset, key, ${ts('received_at_ms', 'received_at')}`,
  orderBy: 'source_topic, source_partition, source_offset',
  append: (a, q) => {
    a.appendVarchar(q.payload);
    a.appendVarchar(q.payload_encoding);
    a.appendVarchar(q.reason);
    a.appendVarchar(q.detail);
    nullableText(a, q.path);
    nullableText(a, q.keyword);
    a.appendVarchar(q.source_topic);
    a.appendInteger(q.source_partition);
    a.appendVarchar(q.source_offset);
    nullableText(a, q.key);
    a.appendDouble(q.received_at_ms);
  },
};

export interface ParquetWriterOptions {
  /** ZSTD level 1–22 (AMI_ARCHIVER_ZSTD_LEVEL). */
  readonly zstdLevel: number;
  /** Directory for the temporary files (default: the OS temp dir). */
  readonly tmpDir?: string;
}

let stagingSeq = 0;

/** Writes rows of one table as one Parquet file held in memory. Safe to call concurrently. */
export class ArchiveParquetWriter {
  private workDir: Promise<string> | undefined;

  constructor(
    private readonly db: DuckDBInstance,
    private readonly opts: ParquetWriterOptions,
  ) {}

  writeReads(rows: readonly ArchivedRead[]): Promise<Buffer> {
    return this.write(READS_TABLE, rows);
  }

  writeEvents(rows: readonly ArchivedEvent[]): Promise<Buffer> {
    return this.write(EVENTS_TABLE, rows);
  }

  writeQuarantine(rows: readonly QuarantinedMessage[]): Promise<Buffer> {
    return this.write(QUARANTINE_TABLE, rows);
  }

  /** Removes the temporary directory. */
  async close(): Promise<void> {
    if (this.workDir) await rm(await this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }

  private async write<T>(spec: TableSpec<T>, rows: readonly T[]): Promise<Buffer> {
    this.workDir ??= mkdtemp(join(this.opts.tmpDir ?? tmpdir(), 'ami-archiver-'));
    const dir = await this.workDir;
    const id = `${spec.name}_${process.pid}_${++stagingSeq}`;
    const file = join(dir, `${id}.parquet`);
    const conn: DuckDBConnection = await this.db.connect();
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      const cols = spec.staging.map(([n, t]) => `${n} ${t}`).join(', ');
      await conn.run(`CREATE TEMP TABLE ${id} (${cols})`);
      const appender = await conn.createAppender(id, 'main', 'temp');
      try {
        for (const row of rows) {
          spec.append(appender, row);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await conn.run(
        `COPY (SELECT ${spec.select} FROM ${id} ORDER BY ${spec.orderBy}) TO ${sqlPath(file)} ` +
          `(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${this.opts.zstdLevel}, ` +
          `PARQUET_VERSION v2, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, ` +
          `KV_METADATA {archive_format: '${ARCHIVE_FORMAT}', archive_table: '${spec.name}'})`,
      );
      await conn.run(`DROP TABLE ${id}`);
      return await readFile(file);
    } finally {
      conn.closeSync();
      await rm(file, { force: true });
    }
  }
}
