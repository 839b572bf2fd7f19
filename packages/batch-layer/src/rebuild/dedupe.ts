/**
 * Latest-wins dedupe of a day's raw reads in DuckDB, with the ONE rule of @ami/shared/contracts
 * (compareReadVersions): DuckDB keeps, per identity (meter_id, read_type, interval_start), the
 * versions with the greatest (read_ts, consumption_wh) and collapses identical copies (the archive
 * is at-least-once); the rare identities still holding two different versions (same read_ts and
 * consumption, other fields differ) are settled in TypeScript by compareReadVersions, so the batch
 * layer picks exactly the version the speed layer keeps.
 *
 * Creates temp table `latest` on the connection with the columns the views use (VIEW_COLUMNS, with
 * estimated_flag: a head-end estimate is labelled class E by VEE); instants are TIMESTAMPTZ. Versions
 * that differ only in columns no view uses (power quality code, topology ids) collapse in the
 * DISTINCT — whichever wins, the views are the same; versions that differ in a used column stay as
 * two rows and are settled on their full content (settleTies re-reads them from the raw files).
 * Carrying 8 columns instead of 14 halved the dedupe (measured 6.1 → 2.9 s for 9.6 M reads on 2
 * cores, before estimated_flag became the 9th).
 * dedupeReads leaves ties in place; the caller detects them cheaply (an ordered fetch that sees an
 * identity twice) and then calls settleTies.
 */
import { DuckDBTimestampTZValue, type DuckDBConnection } from '@duckdb/node-api';
import { sqlPath } from '@ami/shared/clients';
import { compareReadVersions, type ReadVersion } from '@ami/shared/contracts';
import type { ReadType } from '@ami/shared/contracts';

export interface DedupeInput {
  /** Local paths of raw read files (date D and D+1: D+1 holds the end-of-day register read). */
  readonly paths: readonly string[];
  /** The day's bounds (UTC ms): INTERVAL reads with startMs ≤ interval_start < endMs are kept. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface DedupeStats {
  readonly rawIntervals: number;
  readonly rawRegisters: number;
}

/** Columns of `latest`: what the views read. */
const VIEW_COLUMNS =
  'meter_id, read_type, interval_start, read_ts, consumption_wh, delivered_wh, received_wh, ' +
  'estimated_flag, voltage_v';
/** Every archive column: the full version content of the tie-break. */
const ALL_COLUMNS =
  'meter_id, read_type, interval_start, read_ts, consumption_wh, delivered_wh, received_wh, estimated_flag, ' +
  'voltage_v, power_quality_code, service_point_id, customer_id, transformer_id, feeder_id';

const ts = (ms: number) => `make_timestamptz(${Math.round(ms) * 1000})`;

function dayFilter(input: DedupeInput): string {
  const start = ts(input.startMs);
  const end = ts(input.endMs);
  return (
    `(read_type = 'INTERVAL' AND interval_start >= ${start} AND interval_start < ${end}) ` +
    `OR (read_type = 'DAILY' AND interval_start IN (${start}, ${end}))`
  );
}

const files = (paths: readonly string[]) => `[${paths.map(sqlPath).join(', ')}]`;

export async function dedupeReads(c: DuckDBConnection, input: DedupeInput): Promise<DedupeStats> {
  await c.run('DROP TABLE IF EXISTS latest');
  if (input.paths.length === 0) {
    await c.run(
      `CREATE TEMP TABLE latest (meter_id VARCHAR, read_type VARCHAR, interval_start TIMESTAMPTZ, ` +
        `read_ts TIMESTAMPTZ, consumption_wh BIGINT, delivered_wh BIGINT, received_wh BIGINT, ` +
        `estimated_flag BOOLEAN, voltage_v DOUBLE)`,
    );
    return { rawIntervals: 0, rawRegisters: 0 };
  }
  const from = `read_parquet(${files(input.paths)}) WHERE ${dayFilter(input)}`;
  const counts = await c.runAndReadAll(
    `SELECT count_if(read_type = 'INTERVAL')::DOUBLE, count_if(read_type = 'DAILY')::DOUBLE FROM ${from}`,
  );
  const [rawIntervals, rawRegisters] = counts.getRows()[0] as [number, number];
  await c.run(
    `CREATE TEMP TABLE latest AS SELECT DISTINCT ${VIEW_COLUMNS} FROM ${from} ` +
      `QUALIFY rank() OVER (PARTITION BY meter_id, read_type, interval_start ` +
      `ORDER BY read_ts DESC, consumption_wh DESC) = 1`,
  );
  return { rawIntervals, rawRegisters };
}

/**
 * Identities with ≥ 2 rows in `latest` (top versions that differ in a used column): reads their
 * full versions from the raw files and keeps compareReadVersions' winner. Costs an aggregation over
 * `latest`, so the builder calls it only when its ordered fetch saw an identity twice.
 */
export async function settleTies(c: DuckDBConnection, input: DedupeInput): Promise<number> {
  await c.run(
    `CREATE OR REPLACE TEMP TABLE tied AS SELECT meter_id, read_type, interval_start, max(read_ts) AS read_ts, ` +
      `max(consumption_wh) AS consumption_wh FROM latest GROUP BY ALL HAVING count(*) > 1`,
  );
  const tied = await c.runAndReadAll(
    `SELECT ${ALL_COLUMNS.replace('interval_start, read_ts', 'epoch_ms(interval_start)::DOUBLE, epoch_ms(read_ts)::DOUBLE')} ` +
      `FROM read_parquet(${files(input.paths)}) SEMI JOIN tied USING (meter_id, read_type, interval_start, read_ts, consumption_wh) ` +
      `ORDER BY meter_id, read_type, interval_start`,
  );
  const rows = tied.getRows();
  if (rows.length === 0) return 0;
  const winners = new Map<string, ReadVersion>();
  for (const r of rows) {
    const v: ReadVersion = {
      meter_id: String(r[0]),
      read_type: String(r[1]) as ReadType,
      intervalStartMs: Number(r[2]),
      readTsMs: Number(r[3]),
      consumptionWh: Number(r[4]),
      deliveredWh: Number(r[5]),
      receivedWh: Number(r[6]),
      estimated_flag: Boolean(r[7]),
      voltage_v: r[8] === null ? null : Number(r[8]),
      power_quality_code: r[9] === null ? null : Number(r[9]),
      service_point_id: String(r[10]),
      customer_id: String(r[11]),
      transformer_id: String(r[12]),
      feeder_id: String(r[13]),
    };
    const id = `${v.meter_id}|${v.read_type}|${v.intervalStartMs}`;
    const cur = winners.get(id);
    if (cur === undefined || compareReadVersions(v, cur) > 0) winners.set(id, v);
  }
  await c.run(
    'DELETE FROM latest WHERE (meter_id, read_type, interval_start) IN (SELECT (meter_id, read_type, interval_start) FROM tied)',
  );
  const appender = await c.createAppender('latest', 'main', 'temp');
  try {
    for (const v of winners.values()) {
      appender.appendVarchar(v.meter_id);
      appender.appendVarchar(v.read_type);
      appender.appendTimestampTZ(tsValue(v.intervalStartMs));
      appender.appendTimestampTZ(tsValue(v.readTsMs));
      appender.appendBigInt(BigInt(v.consumptionWh));
      appender.appendBigInt(BigInt(v.deliveredWh));
      appender.appendBigInt(BigInt(v.receivedWh));
      appender.appendBoolean(v.estimated_flag);
      if (v.voltage_v === null) appender.appendNull();
      else appender.appendDouble(v.voltage_v);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return winners.size;
}

/** Attribution of meters the topology does not know, from their latest raw read (best effort). */
export function unknownMeterAttributionSql(paths: readonly string[]): string {
  return (
    `SELECT meter_id, arg_max(service_point_id, read_ts), arg_max(customer_id, read_ts), ` +
    `arg_max(transformer_id, read_ts), arg_max(feeder_id, read_ts) FROM read_parquet(${files(paths)}) ` +
    `SEMI JOIN unknown_meters USING (meter_id) GROUP BY meter_id`
  );
}

function tsValue(ms: number) {
  return new DuckDBTimestampTZValue(BigInt(ms) * 1000n);
}
