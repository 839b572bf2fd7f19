/**
 * The billing determinants' answers (pure): the JSON body built from the view's rows (energy as kWh
 * via whToKwh, max demand in kW = max_demand_w / 1000, instants with the zone's offset) and the CSV
 * document of that body (src/format/csv.ts: RFC 4180 with a header row, kWh and kW with exactly 3
 * decimals, formula-guarded text), plus the export file names and content types.
 */
import { formatKwh, kwhToWh, whToKwh } from '@ami/shared/energy';
import { formatIsoOffset } from '@ami/shared/time';
import { CSV_CONTENT_TYPE, toCsvDocument, type CsvColumn } from '../format/csv.ts';
import type { BillingDeterminant, BillingDeterminantsResponse } from './schema.ts';
import type { BillingView, DeterminantRow } from './view.ts';

export const BILLING_CSV_CONTENT_TYPE = `${CSV_CONTENT_TYPE}; header=present`;
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** `billing-determinants-<period>[-<servicePointId>].<ext>` */
export function exportFileName(view: BillingView, ext: 'csv' | 'parquet'): string {
  const sp = view.servicePointId === undefined ? '' : `-${view.servicePointId}`;
  return `billing-determinants-${view.period}${sp}.${ext}`;
}

function determinant(
  r: DeterminantRow,
  timeZone: string,
  customerId: (id: string) => string,
): BillingDeterminant {
  return {
    service_point_id: r.servicePointId,
    customer_id: r.customerId === null ? null : customerId(r.customerId),
    tariff: r.tariff,
    total_kwh: whToKwh(r.totalWh),
    tou: { peak_kwh: whToKwh(r.peakWh), off_peak_kwh: whToKwh(r.offPeakWh), flat_kwh: whToKwh(r.flatWh) },
    max_demand_kw: r.maxDemandW === null ? null : r.maxDemandW / 1000,
    max_demand_at: r.maxDemandAtMs === null ? null : formatIsoOffset(r.maxDemandAtMs, timeZone),
    intervals: {
      total: r.intervals,
      estimated: r.estimated,
      edited: r.edited,
      missing: r.missing,
      outage: r.outage,
    },
    days: r.days,
    days_in_period: r.daysInPeriod,
    complete: r.complete,
    hold: r.hold,
    hold_reason: r.holdReason,
  };
}

/**
 * The JSON body of the view's rows. `customerId` gives the customer id as the caller may see it
 * (clear or pseudonymised, auth/authorize.ts `customerIdFor`).
 */
export function determinantsBody(
  view: BillingView,
  rows: readonly DeterminantRow[],
  period: { readonly startMs: number; readonly endMs: number; readonly timeZone: string },
  customerId: (id: string) => string,
): BillingDeterminantsResponse {
  const tz = period.timeZone;
  return {
    period: view.period,
    time_zone: tz,
    period_start: formatIsoOffset(period.startMs, tz),
    period_end: formatIsoOffset(period.endMs, tz),
    service_point_id: view.servicePointId ?? null,
    view: 'billing_determinants',
    view_version: view.viewVersion,
    view_published_at: view.viewPublishedAt,
    catalog_version: view.catalogVersion,
    watermark: view.watermark,
    determinants: rows.map((r) => determinant(r, tz, customerId)),
  };
}

/** A kWh (or kW) value of the JSON body as text with exactly 3 decimals (exact: values are Wh / 1000). */
const kwhText = (kwh: number): string => formatKwh(kwhToWh(kwh));

/** One CSV line: a determinant with its body (period and versions repeat on every line). */
interface CsvLine {
  readonly body: BillingDeterminantsResponse;
  readonly d: BillingDeterminant;
}

const kwhColumn = (header: string, value: (l: CsvLine) => number | null): CsvColumn<CsvLine> => ({
  header,
  value,
  number: kwhText,
});

const CSV_COLUMNS: readonly CsvColumn<CsvLine>[] = [
  { header: 'period', value: (l) => l.body.period },
  { header: 'service_point_id', value: (l) => l.d.service_point_id },
  { header: 'customer_id', value: (l) => l.d.customer_id },
  { header: 'tariff', value: (l) => l.d.tariff },
  kwhColumn('total_kwh', (l) => l.d.total_kwh),
  kwhColumn('peak_kwh', (l) => l.d.tou.peak_kwh),
  kwhColumn('off_peak_kwh', (l) => l.d.tou.off_peak_kwh),
  kwhColumn('flat_kwh', (l) => l.d.tou.flat_kwh),
  kwhColumn('max_demand_kw', (l) => l.d.max_demand_kw),
  { header: 'max_demand_at', value: (l) => l.d.max_demand_at },
  { header: 'intervals', value: (l) => l.d.intervals.total },
  { header: 'estimated', value: (l) => l.d.intervals.estimated },
  { header: 'edited', value: (l) => l.d.intervals.edited },
  { header: 'missing', value: (l) => l.d.intervals.missing },
  { header: 'outage', value: (l) => l.d.intervals.outage },
  { header: 'days', value: (l) => l.d.days },
  { header: 'days_in_period', value: (l) => l.d.days_in_period },
  { header: 'complete', value: (l) => l.d.complete },
  { header: 'hold', value: (l) => l.d.hold },
  { header: 'hold_reason', value: (l) => l.d.hold_reason },
  { header: 'view_version', value: (l) => l.body.view_version },
  { header: 'catalog_version', value: (l) => l.body.catalog_version },
  { header: 'watermark', value: (l) => l.body.watermark },
];

/** The CSV document (header row, CRLF line ends) of a JSON body. */
export function billingCsv(body: BillingDeterminantsResponse): string {
  return toCsvDocument(
    CSV_COLUMNS,
    body.determinants.map((d) => ({ body, d })),
  );
}
