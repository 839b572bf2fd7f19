/**
 * The `billing_determinants` batch view of ONE pinned catalog version, as the billing route reads it
 * (never provisional data):
 *  - `requireFinalPeriod`: a period is final when every local day of it is published (the one rule of
 *    @ami/shared/catalog: every daily view has the date, every monthly view the month), else 409 with
 *    `details.missing_days` (the period's days the pinned catalog has not published). The watermark
 *    is then at or after the period's end (it ends the run holding the latest published day), but is
 *    not what decides: an old day published alone never makes a final period unfinal;
 *  - `openBillingView`: the cached files of the partition `month=<period>` and its versions;
 *  - `readDeterminantRows`: the view's rows as stored (integer Wh), ordered by service point;
 *  - `exportParquet`: a DuckDB COPY of those rows (plus period and versions) to a temp file.
 * All SQL is parameterised; file paths come from the cache (sqlPath). An unknown service point (no
 * row in the period) is 404.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monthPartition, type PinnedCatalog } from '@ami/shared/catalog';
import { sqlPath, type DuckDBConnection } from '@ami/shared/clients';
import { formatIsoOffset, localDatesOfBillingPeriod } from '@ami/shared/time';
import { conflict, notFound, type ApiError } from '../errors.ts';
import type { DuckDBPool } from '../sources/duckdb-pool.ts';

/** What a request selects: a billing period and, optionally, one service point. */
export interface BillingSelection {
  readonly period: string;
  readonly servicePointId: string | undefined;
}

/** The period's partition of the view in one pinned catalog version. */
export interface BillingView extends BillingSelection {
  /** `read_parquet(...)` over the partition's cached files. */
  readonly source: string;
  readonly viewVersion: string;
  readonly viewPublishedAt: string;
  readonly catalogVersion: string;
  readonly watermark: string;
}

/** One row of the view as stored (energy in integer Wh, demand in W). */
export interface DeterminantRow {
  readonly servicePointId: string;
  readonly customerId: string | null;
  readonly tariff: string | null;
  readonly totalWh: number;
  readonly peakWh: number;
  readonly offPeakWh: number;
  readonly flatWh: number;
  readonly maxDemandW: number | null;
  readonly maxDemandAtMs: number | null;
  readonly intervals: number;
  readonly estimated: number;
  readonly edited: number;
  readonly missing: number;
  readonly outage: number;
  readonly days: number;
  readonly daysInPeriod: number;
  readonly complete: boolean;
  readonly hold: boolean;
  readonly holdReason: string | null;
}

/** A Parquet export in a temp directory; `remove` deletes it (call once the file is sent). */
export interface ParquetExport {
  readonly path: string;
  readonly remove: () => Promise<void>;
}

/** View columns as stored (rows are ordered by service_point_id). */
const VIEW_COLUMNS =
  'service_point_id, customer_id, tariff, total_wh, peak_wh, off_peak_wh, flat_wh, max_demand_w, ' +
  'max_demand_at, intervals, estimated, edited, missing, outage, days, days_in_period, complete, hold, hold_reason';

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

function toRow(r: Record<string, unknown>): DeterminantRow {
  return {
    servicePointId: String(r.service_point_id),
    customerId: strOrNull(r.customer_id),
    tariff: strOrNull(r.tariff),
    totalWh: num(r.total_wh),
    peakWh: num(r.peak_wh),
    offPeakWh: num(r.off_peak_wh),
    flatWh: num(r.flat_wh),
    maxDemandW: numOrNull(r.max_demand_w),
    maxDemandAtMs: numOrNull(r.max_demand_at_ms),
    intervals: num(r.intervals),
    estimated: num(r.estimated),
    edited: num(r.edited),
    missing: num(r.missing),
    outage: num(r.outage),
    days: num(r.days),
    daysInPeriod: num(r.days_in_period),
    complete: r.complete === true,
    hold: r.hold === true,
    holdReason: strOrNull(r.hold_reason),
  };
}

/** The period's local days the pinned catalog has not published. */
export function unpublishedDays(pinned: PinnedCatalog, period: string): string[] {
  const published = pinned.publishedDays();
  return localDatesOfBillingPeriod(period).filter((d) => !published.has(d));
}

/** 409 unless every day of the period is published. */
export function requireFinalPeriod(
  pinned: PinnedCatalog,
  period: string,
  periodEndMs: number,
  timeZone: string,
): void {
  const missingDays = unpublishedDays(pinned, period);
  if (missingDays.length === 0) return;
  throw conflict(`billing period ${period} is not final: ${missingDays.length} day(s) not published`, {
    period,
    missing_days: missingDays,
    watermark: pinned.watermark,
    period_end: formatIsoOffset(periodEndMs, timeZone),
  });
}

/** The period's partition of the view (409 when the pinned catalog has not published it). */
export async function openBillingView(pinned: PinnedCatalog, sel: BillingSelection): Promise<BillingView> {
  const files = await pinned.localFiles('billing_determinants', [monthPartition(sel.period)]);
  const entry = files.partitions[0]?.entry;
  if (entry === undefined || pinned.version === null || pinned.watermark === null)
    throw conflict(`billing period ${sel.period} is not final: billing_determinants not published`, {
      period: sel.period,
      missing_days: [],
      watermark: pinned.watermark,
    });
  return {
    ...sel,
    source: `read_parquet([${files.paths.map(sqlPath).join(', ')}], hive_partitioning = false)`,
    viewVersion: entry.version,
    viewPublishedAt: entry.publishedAt,
    catalogVersion: pinned.version,
    watermark: pinned.watermark,
  };
}

/** The service point filter: SQL and its parameter ($1), empty without a service point. */
function filterOf(view: BillingView): { where: string; params: string[] } {
  return view.servicePointId === undefined
    ? { where: '', params: [] }
    : { where: 'WHERE service_point_id = $1', params: [view.servicePointId] };
}

function unknownServicePoint(view: BillingView): ApiError {
  return notFound(`unknown service point in ${view.period}: ${view.servicePointId}`, {
    servicePointId: view.servicePointId,
    period: view.period,
  });
}

/** The view's rows of the selection, by service point (404 for an unknown service point). */
export async function readDeterminantRows(pool: DuckDBPool, view: BillingView): Promise<DeterminantRow[]> {
  const { where, params } = filterOf(view);
  const rows = await pool.use(async (c: DuckDBConnection) => {
    const reader = await c.runAndReadAll(
      `SELECT ${VIEW_COLUMNS.replace('max_demand_at', 'epoch_ms(max_demand_at) AS max_demand_at_ms')}
       FROM ${view.source} ${where} ORDER BY service_point_id`,
      params,
    );
    return reader.getRowObjects().map(toRow);
  });
  if (view.servicePointId !== undefined && rows.length === 0) throw unknownServicePoint(view);
  return rows;
}

/** Whether the selection has rows (always true without a service point filter). */
async function hasRows(c: DuckDBConnection, view: BillingView): Promise<boolean> {
  if (view.servicePointId === undefined) return true;
  const { where, params } = filterOf(view);
  const seen = await c.runAndReadAll(`SELECT count(*) AS n FROM ${view.source} ${where}`, params);
  return num(seen.getRowObjects()[0]?.n) > 0;
}

/**
 * The selection's rows as stored (integer Wh, lossless) plus period and versions, as a Parquet file
 * in a new temp directory; without `withCustomerIds` the customer_id column is left out. 404 for an
 * unknown service point (nothing is left on disk then).
 */
export async function exportParquet(
  pool: DuckDBPool,
  view: BillingView,
  withCustomerIds: boolean,
): Promise<ParquetExport> {
  const dir = await mkdtemp(join(tmpdir(), 'ami-billing-'));
  const path = join(dir, 'determinants.parquet');
  const remove = () => rm(dir, { recursive: true, force: true });
  const { where, params } = filterOf(view);
  const columns = withCustomerIds ? VIEW_COLUMNS : VIEW_COLUMNS.replace('customer_id, ', '');
  const p = params.length;
  try {
    const written = await pool.use(async (c: DuckDBConnection) => {
      if (!(await hasRows(c, view))) return false;
      await c.run(
        `COPY (SELECT $${p + 1}::VARCHAR AS period, ${columns}, $${p + 2}::VARCHAR AS view_version,
                $${p + 3}::VARCHAR AS catalog_version, $${p + 4}::VARCHAR AS watermark
               FROM ${view.source} ${where} ORDER BY service_point_id)
         TO ${sqlPath(path)} (FORMAT parquet)`,
        [...params, view.period, view.viewVersion, view.catalogVersion, view.watermark],
      );
      return true;
    });
    if (!written) throw unknownServicePoint(view);
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}
