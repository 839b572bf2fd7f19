/**
 * Latest-wins dedupe of a day's raw reads in DuckDB, with the ONE rule of @ami/shared/contracts
 * (compareReadVersions): DuckDB keeps, per identity (meter_id, read_type, interval_start), the
 * versions with the greatest (read_ts, consumption_wh) and collapses identical copies (the archive
 * is at-least-once); the rare identities still holding two different versions (same read_ts and
 * consumption, other fields differ) are settled in TypeScript by compareReadVersions, so the batch
 * layer picks exactly the version the speed layer keeps.
 *
 * Creates temp table `latest` (archive columns) on the connection. Instants are TIMESTAMPTZ.
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

const COLUMNS =
  'meter_id, read_type, interval_start, read_ts, consumption_wh, delivered_wh, received_wh, estimated_flag, ' +
  'voltage_v, power_quality_code, service_point_id, customer_id, transformer_id, feeder_id';

const ts = (ms: number) => `make_timestamptz(${Math.round(ms) * 1000})`;

export async function dedupeReads(c: DuckDBConnection, input: DedupeInput): Promise<DedupeStats> {
  await c.run('DROP TABLE IF EXISTS latest');
  if (input.paths.length === 0) {
    await c.run(
      `CREATE TEMP TABLE latest (meter_id VARCHAR, read_type VARCHAR, interval_start TIMESTAMPTZ, ` +
        `read_ts TIMESTAMPTZ, consumption_wh BIGINT, delivered_wh BIGINT, received_wh BIGINT, ` +
        `estimated_flag BOOLEAN, voltage_v DOUBLE, power_quality_code INTEGER, service_point_id VARCHAR, ` +
        `customer_id VARCHAR, transformer_id VARCHAR, feeder_id VARCHAR)`,
    );
    return { rawIntervals: 0, rawRegisters: 0 };
  }
  const files = `[${input.paths.map(sqlPath).join(', ')}]`;
  const start = ts(input.startMs);
  const end = ts(input.endMs);
  await c.run(
    `CREATE TEMP TABLE raw_day AS SELECT ${COLUMNS} FROM read_parquet(${files}) ` +
      `WHERE (read_type = 'INTERVAL' AND interval_start >= ${start} AND interval_start < ${end}) ` +
      `OR (read_type = 'DAILY' AND interval_start IN (${start}, ${end}))`,
  );
  const counts = await c.runAndReadAll(
    `SELECT count_if(read_type = 'INTERVAL')::DOUBLE, count_if(read_type = 'DAILY')::DOUBLE FROM raw_day`,
  );
  const [rawIntervals, rawRegisters] = counts.getRows()[0] as [number, number];
  await c.run(
    `CREATE TEMP TABLE latest AS SELECT DISTINCT ${COLUMNS} FROM raw_day ` +
      `QUALIFY rank() OVER (PARTITION BY meter_id, read_type, interval_start ` +
      `ORDER BY read_ts DESC, consumption_wh DESC) = 1`,
  );
  await c.run('DROP TABLE raw_day');
  return { rawIntervals, rawRegisters };
}

/**
 * Identities with ≥ 2 distinct top versions: keep compareReadVersions' winner. Costs a full
 * aggregation, so the builder calls it only when its ordered fetch saw an identity twice.
 */
export async function settleTies(c: DuckDBConnection): Promise<number> {
  const tied = await c.runAndReadAll(
    `SELECT ${COLUMNS.replace('interval_start, read_ts', 'epoch_ms(interval_start)::DOUBLE, epoch_ms(read_ts)::DOUBLE')} ` +
      `FROM latest WHERE (meter_id, read_type, interval_start) IN (SELECT (meter_id, read_type, interval_start) ` +
      `FROM latest GROUP BY ALL HAVING count(*) > 1) ORDER BY meter_id, read_type, interval_start`,
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
    `DELETE FROM latest WHERE (meter_id, read_type, interval_start) IN (SELECT (meter_id, read_type, interval_start) ` +
      `FROM latest GROUP BY ALL HAVING count(*) > 1)`,
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
      if (v.power_quality_code === null) appender.appendNull();
      else appender.appendInteger(v.power_quality_code);
      appender.appendVarchar(v.service_point_id);
      appender.appendVarchar(v.customer_id);
      appender.appendVarchar(v.transformer_id);
      appender.appendVarchar(v.feeder_id);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return winners.size;
}

function tsValue(ms: number) {
  return new DuckDBTimestampTZValue(BigInt(ms) * 1000n);
}
