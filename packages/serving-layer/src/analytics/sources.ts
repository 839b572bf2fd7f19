/**
 * Authoritative reads of the analytics aggregate (DuckDB over the local cache files of ONE pinned
 * catalog version; every user value is a bound parameter, column names come from fixed maps):
 *  - the groups of a request: distinct attribution values in meter_daily under the filters;
 *  - grid_15m windows of many entities of one level;
 *  - per-group 15-minute windows for segment/tariff: intervals_validated joined with the same day's
 *    meter_daily attribution, aggregated like grid_15m (reported = original_wh present).
 */
import { sqlPath, type DuckDBConnection } from '@ami/shared/clients';
import { datePartition, type ViewName } from '@ami/shared/catalog';
import type { AuthoritativeGridWindow } from '../merge/index.ts';
import type { BatchSource } from '../sources/authoritative.ts';
import type { Filters, GroupBy } from './query.ts';

/** meter_daily column of each grouping / filter. */
const COLUMN: Readonly<Record<GroupBy, string>> = {
  region: 'region',
  substation: 'substation_id',
  feeder: 'feeder_id',
  segment: 'segment',
  tariff: 'tariff',
};
const FILTER_COLUMN: Readonly<Record<keyof Filters, string>> = {
  region: 'region',
  feeder: 'feeder_id',
  segment: 'segment',
  tariff: 'tariff',
};

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Local cache paths of the view's partitions of `dates` that the pinned version has. */
async function paths(src: BatchSource, view: ViewName, dates: readonly string[]): Promise<string[]> {
  if (dates.length === 0) return [];
  const files = await src.pinned.localFiles(view, dates.map(datePartition));
  return [...files.paths];
}

const parquet = (ps: readonly string[]) =>
  `read_parquet([${ps.map(sqlPath).join(', ')}], hive_partitioning = true)`;

async function query(src: BatchSource, sql: string, params: string[]): Promise<Record<string, unknown>[]> {
  return src.pool.use(async (c: DuckDBConnection) => (await c.runAndReadAll(sql, params)).getRowObjects());
}

/** `WHERE` clause of the filters with parameters numbered from `first`. */
function filterSql(f: Filters, first: number): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  for (const k of ['region', 'feeder', 'segment', 'tariff'] as const) {
    const v = f[k];
    if (v === undefined) continue;
    params.push(v);
    clauses.push(`${FILTER_COLUMN[k]} = $${first + params.length - 1}`);
  }
  return { sql: clauses.length === 0 ? 'TRUE' : clauses.join(' AND '), params };
}

/** Distinct values of the grouping in meter_daily on `dates` under the filters, sorted. */
export async function readGroups(
  src: BatchSource,
  groupBy: GroupBy,
  f: Filters,
  dates: readonly string[],
): Promise<string[]> {
  const ps = await paths(src, 'meter_daily', dates);
  if (ps.length === 0) return [];
  const where = filterSql(f, 1);
  const col = COLUMN[groupBy];
  const rows = await query(
    src,
    `SELECT DISTINCT ${col} AS g FROM ${parquet(ps)} WHERE ${where.sql} AND ${col} IS NOT NULL ORDER BY g`,
    where.params,
  );
  return rows.map((r) => String(r.g));
}

function gridWindow(r: Record<string, unknown>): AuthoritativeGridWindow {
  return {
    startMs: num(r.s),
    wh: num(r.wh),
    metersTotal: num(r.meters_total),
    metersReported: num(r.meters_reported),
    estimated: num(r.estimated),
    edited: num(r.edited),
    missing: num(r.missing),
    outage: num(r.outage),
    voltageAvg: numOrNull(r.voltage_avg),
    voltageMin: numOrNull(r.voltage_min),
    voltageMax: numOrNull(r.voltage_max),
  };
}

function byGroup(rows: Record<string, unknown>[]): Map<string, AuthoritativeGridWindow[]> {
  const out = new Map<string, AuthoritativeGridWindow[]>();
  for (const r of rows) {
    const g = String(r.g);
    let list = out.get(g);
    if (!list) out.set(g, (list = []));
    list.push(gridWindow(r));
  }
  return out;
}

/** grid_15m windows of the entities `ids` of `level` on `dates`, per entity (ascending). */
export async function readGridWindowsOf(
  src: BatchSource,
  level: string,
  ids: readonly string[],
  dates: readonly string[],
): Promise<Map<string, AuthoritativeGridWindow[]>> {
  const ps = ids.length === 0 ? [] : await paths(src, 'grid_15m', dates);
  if (ps.length === 0) return new Map();
  const placeholders = ids.map((_, i) => `$${i + 2}`).join(', ');
  const rows = await query(
    src,
    `SELECT entity_id AS g, epoch_ms(interval_start) AS s, wh, meters_total, meters_reported, estimated, edited,
            missing, outage, voltage_avg, voltage_min, voltage_max
     FROM ${parquet(ps)} WHERE level = $1 AND entity_id IN (${placeholders}) ORDER BY entity_id, interval_start`,
    [level, ...ids],
  );
  return byGroup(rows);
}

/**
 * Per-group 15-minute windows of the meter views on `dates`: intervals_validated rows joined with the
 * same day's meter_daily row (attribution), grouped by the grouping column under the filters.
 * Voltage is not in the meter views (null).
 */
export async function readMeterGroupWindows(
  src: BatchSource,
  groupBy: GroupBy,
  f: Filters,
  dates: readonly string[],
): Promise<Map<string, AuthoritativeGridWindow[]>> {
  const [iv, md] = await Promise.all([
    paths(src, 'intervals_validated', dates),
    paths(src, 'meter_daily', dates),
  ]);
  if (iv.length === 0 || md.length === 0) return new Map();
  const where = filterSql(f, 1);
  const rows = await query(
    src,
    `WITH md AS (
       SELECT meter_id, CAST(date AS VARCHAR) AS d, ${COLUMN[groupBy]} AS g FROM ${parquet(md)} WHERE ${where.sql}
     )
     SELECT md.g, epoch_ms(iv.interval_start) AS s, sum(iv.wh)::BIGINT AS wh, count(*) AS meters_total,
            count_if(iv.original_wh IS NOT NULL) AS meters_reported, count_if(iv.quality = 'E') AS estimated,
            count_if(iv.quality = 'M') AS edited, count_if(iv.quality = 'X') AS missing,
            count_if(iv.quality = 'O') AS outage, NULL AS voltage_avg, NULL AS voltage_min, NULL AS voltage_max
     FROM ${parquet(iv)} iv JOIN md ON iv.meter_id = md.meter_id AND CAST(iv.date AS VARCHAR) = md.d
     WHERE md.g IS NOT NULL
     GROUP BY md.g, s ORDER BY md.g, s`,
    where.params,
  );
  return byGroup(rows);
}
