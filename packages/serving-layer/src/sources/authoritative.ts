/**
 * Authoritative side of a series: rows of the batch views for one meter or grid entity, read with
 * DuckDB from the local cache files of ONE pinned catalog version (the request's pin), for the
 * intervals the batch coverage answers (merge/coverage.ts: the local days that version published).
 *
 * Views per step (their rows nest in the step's buckets, see merge/meter-series.ts):
 *  - meter 15m, 1h: intervals_validated (one cell per interval);
 *  - meter 1d: meter_daily (one cell per local day);
 *  - meter 1mo: meter_monthly for months the coverage answers whole, meter_daily for the covered
 *    days of any other month (the month the watermark cuts, or one with unpublished days) — so a
 *    10-year series reads ~120 monthly files, not 3,650 daily ones;
 *  - grid (every step): grid_15m (the only grid view with meters reported and voltage averages).
 * Only the partitions of covered dates are read (an explicit list, not a range). The meter or
 * entity id is always a bound parameter ($1); file paths come from the cache (sqlPath).
 * Files are sorted by meter_id (grid: level, entity_id), so row-group statistics prune a point lookup.
 */
import type { DuckDBConnection } from '@ami/shared/clients';
import { sqlPath } from '@ami/shared/clients';
import { datePartition, monthPartition, type PinnedCatalog, type ViewName } from '@ami/shared/catalog';
import {
  INTERVAL_MS,
  localDate,
  localDayBounds,
  localMonth,
  localMonthBounds,
  type Step,
} from '@ami/shared/time';
import {
  batchDatesOf,
  batchParts,
  coversInterval,
  isBatchBucket,
  localDatesOfParts,
  realtimeParts,
  spanOf,
  type AuthoritativeGridWindow,
  type AuthoritativeMeterCell,
  type BatchCoverage,
  type Bucket,
} from '../merge/index.ts';
import { qualityOfClass, type QualityClass, type QualityCounts } from '../merge/quality.ts';
import type { DuckDBPool } from './duckdb-pool.ts';

export interface BatchSource {
  readonly pinned: PinnedCatalog;
  readonly pool: DuckDBPool;
  readonly timeZone: string;
  /** Decoded meter-days of intervals_validated files, shared across requests (optional). */
  readonly meterDays?: MeterDayCache;
}

/** One meter's rows in one intervals_validated file, decoded. */
interface CachedMeterDay {
  readonly startMs: Float64Array;
  readonly wh: Int32Array;
  readonly quality: Uint8Array;
}

/**
 * LRU of decoded (file, meter) slices of intervals_validated. Published view files are immutable
 * under content-addressed keys (a new version is a new file), so an entry never goes stale; a meter
 * that a dashboard or billing run asks for again skips DuckDB for every day already decoded. Bounded
 * by entries (≈ 1.3 KB each for a 96-slot day).
 */
export class MeterDayCache {
  private readonly map = new Map<string, CachedMeterDay>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get(key: string): CachedMeterDay | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, v: CachedMeterDay): void {
    this.map.set(key, v);
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}

const CLASS_CODES = ['A', 'E', 'M', 'X', 'O'] as const;

const QUALITY_CLASSES: ReadonlySet<string> = new Set(['A', 'E', 'M', 'X', 'O']);

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

/** Local cache paths of the given partitions of a view (those the pinned version has), sorted. */
async function viewPaths(src: BatchSource, view: ViewName, partitions: readonly string[]): Promise<string[]> {
  const files = await src.pinned.localFiles(view, partitions);
  return [...files.paths];
}

const parquet = (paths: readonly string[], hive: boolean) =>
  `read_parquet([${paths.map(sqlPath).join(', ')}], hive_partitioning = ${hive})`;

async function query(
  src: BatchSource,
  sql: string,
  params: (string | number)[],
): Promise<Record<string, unknown>[]> {
  return src.pool.use(async (c: DuckDBConnection) => {
    const reader = await c.runAndReadAll(sql, params);
    return reader.getRowObjects();
  });
}

function quality(row: Record<string, unknown>): QualityCounts {
  return {
    actual: num(row.actual),
    estimated: num(row.estimated),
    edited: num(row.edited),
    missing: num(row.missing),
    outage: num(row.outage),
  };
}

/** intervals_validated rows of a meter on local dates `dates` (ascending): one cell per interval. */
export async function readMeterIntervalCells(
  src: BatchSource,
  meterId: string,
  dates: readonly string[],
): Promise<AuthoritativeMeterCell[]> {
  if (dates.length === 0) return [];
  const paths = await viewPaths(src, 'intervals_validated', dates.map(datePartition));
  if (paths.length === 0) return [];
  const cache = src.meterDays;
  const keyOf = (path: string) => `${path}|${meterId}`;
  const days = new Map<string, CachedMeterDay>();
  const missing: string[] = [];
  for (const path of paths) {
    const hit = cache?.get(keyOf(path));
    if (hit) days.set(path, hit);
    else missing.push(path);
  }
  if (missing.length > 0) {
    const rows = await query(
      src,
      `SELECT filename AS f, epoch_ms(interval_start)::DOUBLE AS s, wh, quality
       FROM read_parquet([${missing.map(sqlPath).join(', ')}], hive_partitioning = false, filename = true)
       WHERE meter_id = $1 ORDER BY interval_start`,
      [meterId],
    );
    const byFile = new Map<string, Record<string, unknown>[]>();
    for (const r of rows) {
      const f = String(r.f);
      const list = byFile.get(f);
      if (list) list.push(r);
      else byFile.set(f, [r]);
    }
    for (const path of missing) {
      const list = byFile.get(path) ?? [];
      const day: CachedMeterDay = {
        startMs: new Float64Array(list.length),
        wh: new Int32Array(list.length),
        quality: new Uint8Array(list.length),
      };
      list.forEach((r, i) => {
        const q = String(r.quality);
        if (!QUALITY_CLASSES.has(q)) throw new Error(`intervals_validated: unknown quality class ${q}`);
        day.startMs[i] = num(r.s);
        day.wh[i] = num(r.wh ?? 0);
        day.quality[i] = CLASS_CODES.indexOf(q as QualityClass);
      });
      cache?.set(keyOf(path), day);
      days.set(path, day);
    }
  }
  const cells: AuthoritativeMeterCell[] = [];
  for (const path of paths) {
    const day = days.get(path)!;
    for (let i = 0; i < day.startMs.length; i++) {
      const startMs = day.startMs[i]!;
      cells.push({
        startMs,
        endMs: startMs + INTERVAL_MS,
        wh: day.wh[i]!,
        quality: qualityOfClass(CLASS_CODES[day.quality[i]!]!),
      });
    }
  }
  return cells.sort((a, b) => a.startMs - b.startMs);
}

/**
 * Rows of a meter in a view partitioned by local date or month, one cell per partition value:
 * meter_daily (one local day) or meter_monthly (one local month).
 */
async function readMeterPeriodCells(
  src: BatchSource,
  meterId: string,
  values: readonly string[],
  p: {
    readonly view: 'meter_daily' | 'meter_monthly';
    readonly column: 'date' | 'month';
    readonly partition: (value: string) => string;
    readonly bounds: (value: string, timeZone: string) => { startMs: number; endMs: number };
  },
): Promise<AuthoritativeMeterCell[]> {
  if (values.length === 0) return [];
  const paths = await viewPaths(src, p.view, values.map(p.partition));
  if (paths.length === 0) return [];
  const rows = await query(
    src,
    `SELECT CAST(${p.column} AS VARCHAR) AS v, wh, actual, estimated, edited, missing, outage
     FROM ${parquet(paths, true)} WHERE meter_id = $1 ORDER BY ${p.column}`,
    [meterId],
  );
  return rows.map((r) => {
    const span = p.bounds(String(r.v), src.timeZone);
    return { startMs: span.startMs, endMs: span.endMs, wh: num(r.wh), quality: quality(r) };
  });
}

/** meter_daily rows of a meter on local dates `dates` (ascending): one cell per local day. */
export function readMeterDayCells(
  src: BatchSource,
  meterId: string,
  dates: readonly string[],
): Promise<AuthoritativeMeterCell[]> {
  return readMeterPeriodCells(src, meterId, dates, {
    view: 'meter_daily',
    column: 'date',
    partition: datePartition,
    bounds: localDayBounds,
  });
}

/** meter_monthly rows of a meter for local months `months` (ascending): one cell per month. */
export function readMeterMonthCells(
  src: BatchSource,
  meterId: string,
  months: readonly string[],
): Promise<AuthoritativeMeterCell[]> {
  return readMeterPeriodCells(src, meterId, months, {
    view: 'meter_monthly',
    column: 'month',
    partition: monthPartition,
    bounds: localMonthBounds,
  });
}

/** grid_15m windows of one entity on local dates `dates` (ascending). */
export async function readGridWindows(
  src: BatchSource,
  level: string,
  entityId: string,
  dates: readonly string[],
): Promise<AuthoritativeGridWindow[]> {
  if (dates.length === 0) return [];
  const paths = await viewPaths(src, 'grid_15m', dates.map(datePartition));
  if (paths.length === 0) return [];
  const rows = await query(
    src,
    `SELECT epoch_ms(interval_start) AS s, wh, meters_total, meters_reported, estimated, edited, missing,
            outage, voltage_avg, voltage_min, voltage_max
     FROM ${parquet(paths, false)} WHERE level = $1 AND entity_id = $2 ORDER BY interval_start`,
    [level, entityId],
  );
  return rows.map((r) => ({
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
  }));
}

/**
 * The authoritative cells of a meter series: the view chosen by step (module comment) for the
 * buckets' intervals the batch coverage answers.
 */
export async function readMeterAuthoritative(
  src: BatchSource,
  meterId: string,
  step: Step,
  buckets: readonly Bucket[],
  coverage: BatchCoverage,
): Promise<AuthoritativeMeterCell[]> {
  const dates = batchDatesOf(coverage, spanOf(buckets), src.timeZone);
  if (dates.length === 0) return [];
  switch (step) {
    case '15m':
    case '1h':
      return readMeterIntervalCells(src, meterId, dates);
    case '1d':
      return readMeterDayCells(src, meterId, dates);
    case '1mo': {
      const whole = buckets.filter((b) => isBatchBucket(coverage, b));
      const partDays = buckets
        .filter((b) => !isBatchBucket(coverage, b))
        .flatMap((b) => localDatesOfParts(batchParts(coverage, b), src.timeZone));
      const [months, days] = await Promise.all([
        readMeterMonthCells(
          src,
          meterId,
          whole.map((b) => localMonth(b.startMs, src.timeZone)),
        ),
        readMeterDayCells(src, meterId, partDays),
      ]);
      return [...months, ...days];
    }
  }
}

/**
 * The authoritative windows of a grid series (those the batch coverage answers), and the entity's
 * meters total for realtime windows: that of its latest batch window read (the watermark's last
 * day — the latest published day — is read for it when the request has no batch part).
 */
export async function readGridAuthoritative(
  src: BatchSource,
  level: string,
  entityId: string,
  buckets: readonly Bucket[],
  coverage: BatchCoverage,
  watermarkMs: number | null,
): Promise<{ windows: AuthoritativeGridWindow[]; metersTotal: number | null }> {
  if (watermarkMs === null) return { windows: [], metersTotal: null };
  const span = spanOf(buckets);
  let dates = batchDatesOf(coverage, span, src.timeZone);
  if (dates.length === 0 && realtimeParts(coverage, span).length > 0) {
    dates = [localDate(watermarkMs - 1, src.timeZone)];
  }
  const read = await readGridWindows(src, level, entityId, dates);
  const windows = read.filter((w) => coversInterval(coverage, w.startMs));
  const latest = windows[windows.length - 1];
  return { windows, metersTotal: latest ? latest.metersTotal : null };
}
