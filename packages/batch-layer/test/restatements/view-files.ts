/**
 * Tiny batch-view Parquet files in the real view schemas (written by DuckDB), for the relay and
 * reconciliation integration tests. The partition column is not in the file (Hive path).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqlPath, withConnection, type DuckDBInstance } from '@ami/shared/clients';
import { formatIsoUtc } from '@ami/shared/time';
import type { LocalViewFile } from '../../src/catalog/publisher.ts';

export interface IntervalRow {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly startMs: number;
  readonly wh: number;
  readonly quality: 'A' | 'E' | 'M' | 'X' | 'O';
  /** null: no read. */
  readonly originalWh: number | null;
  /** Default: NONE for class A, EST otherwise (e.g. HEAD_END for a head-end estimate). */
  readonly method?: string;
}

export interface GridRow {
  readonly level: 'transformer' | 'feeder' | 'substation' | 'region';
  readonly entityId: string;
  readonly startMs: number;
  readonly wh: number;
}

export interface MeterDailyRow {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly transformerId: string;
  readonly wh: number;
}

export interface MonthlyRow {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly wh: number;
}

const lit = (s: string | null): string => (s === null ? 'NULL' : `'${s.replaceAll("'", "''")}'`);
const ts = (ms: number): string => `TIMESTAMPTZ '${formatIsoUtc(ms).replace('T', ' ').replace('Z', '+00')}'`;
const num = (n: number | null): string => (n === null ? 'NULL' : `${n}::BIGINT`);

async function copy(db: DuckDBInstance, path: string, select: string, rows: number): Promise<LocalViewFile> {
  mkdirSync(dirname(path), { recursive: true });
  await withConnection(db, (c) => c.run(`COPY (${select}) TO ${sqlPath(path)} (FORMAT parquet)`));
  return { path, rows };
}

function values(rows: readonly string[], columns: string): string {
  return `SELECT * FROM (VALUES ${rows.join(', ')}) t(${columns})`;
}

export function writeIntervalsValidated(db: DuckDBInstance, path: string, rows: readonly IntervalRow[]) {
  const v = rows.map(
    (r) =>
      `(${lit(r.meterId)}, ${lit(r.servicePointId)}, ${ts(r.startMs)}, ${num(r.wh)}, ${lit(r.quality)}, ` +
      `${lit(r.method ?? (r.quality === 'A' ? 'NONE' : 'EST'))}, ${lit(r.quality === 'A' ? 'NONE' : 'R')}, ` +
      `${num(r.originalWh)}, NULL::VARCHAR)`,
  );
  return copy(
    db,
    path,
    `${values(v, 'meter_id, service_point_id, interval_start, wh, quality, method, reason, original_wh, edit_id')} ORDER BY meter_id, interval_start`,
    rows.length,
  );
}

export function writeGrid15m(db: DuckDBInstance, path: string, rows: readonly GridRow[]) {
  const v = rows.map(
    (r) =>
      `(${lit(r.level)}, ${lit(r.entityId)}, ${ts(r.startMs)}, ${num(r.wh)}, 1::BIGINT, 1::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 230.0::DOUBLE, 229.0::DOUBLE, 231.0::DOUBLE)`,
  );
  return copy(
    db,
    path,
    values(
      v,
      'level, entity_id, interval_start, wh, meters_total, meters_reported, estimated, edited, missing, outage, voltage_avg, voltage_min, voltage_max',
    ),
    rows.length,
  );
}

export function writeMeterDaily(db: DuckDBInstance, path: string, rows: readonly MeterDailyRow[]) {
  const v = rows.map(
    (r) =>
      `(${lit(r.meterId)}, ${lit(r.servicePointId)}, 'C-' || ${lit(r.meterId)}, ${lit(r.transformerId)}, 'F1', 'S1', 'R1', 'residential', 'flat', ${num(r.wh)})`,
  );
  return copy(
    db,
    path,
    values(
      v,
      'meter_id, service_point_id, customer_id, transformer_id, feeder_id, substation_id, region, segment, tariff, wh',
    ),
    rows.length,
  );
}

export function writeMeterMonthly(db: DuckDBInstance, path: string, rows: readonly MonthlyRow[]) {
  const v = rows.map((r) => `(${lit(r.meterId)}, ${lit(r.servicePointId)}, ${num(r.wh)}, 1::BIGINT)`);
  return copy(db, path, values(v, 'meter_id, service_point_id, wh, days'), rows.length);
}
