/**
 * GET /v1/billing/determinants?period=YYYY-MM[&servicePointId][&format=json|csv|parquet] (billing):
 * the authoritative billing determinants of one billing period, read from the `billing_determinants`
 * partition `month=<period>` of ONE pinned catalog version — never provisional data.
 *
 * A period is final when every local day of it is published (meter_daily has `date=<day>`) and the
 * watermark is at or after the period's end; otherwise the answer is 409 with `details.missing_days`
 * (the period's days the pinned catalog has not published). Energy is integer Wh in the view; JSON
 * and CSV give kWh (whToKwh / formatKwh, 3 decimals), max demand in kW (max_demand_w / 1000). The
 * Parquet format is a DuckDB COPY of the view's rows as stored (integer Wh, lossless) plus the period
 * and versions, written to a temp file that is streamed and then removed. All SQL is parameterised;
 * file paths come from the cache (sqlPath).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { datePartition, monthPartition, type PinnedCatalog } from '@ami/shared/catalog';
import { sqlPath, type DuckDBConnection } from '@ami/shared/clients';
import { ID_PATTERN } from '@ami/shared/contracts';
import { formatKwh, kwhToWh, whToKwh } from '@ami/shared/energy';
import {
  addLocalDays,
  billingPeriodBounds,
  formatIsoOffset,
  isValidBillingPeriod,
  localDatesOfBillingPeriod,
} from '@ami/shared/time';
import { CUSTOMER_ID_ROLES, customerIdFor } from '../auth/authorize.ts';
import { badRequest, conflict, errorResponse, notFound } from '../errors.ts';
import { DuckDBPool } from '../sources/duckdb-pool.ts';
import type { RouteModule } from './context.ts';

export const BILLING_FORMATS = ['json', 'csv', 'parquet'] as const;
export type BillingFormat = (typeof BILLING_FORMATS)[number];

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** DuckDB connections of the billing route (one query at a time each). */
const POOL_SIZE = 2;

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Count = Type.Integer({ minimum: 0 });

export const BillingQuery = Type.Object(
  {
    period: Type.String({
      pattern: '^[0-9]{4}-[0-9]{2}$',
      description: 'Billing period: the local calendar month YYYY-MM (AMI_TIMEZONE)',
    }),
    servicePointId: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'One service point' })),
    format: Type.Optional(
      Type.Union(
        BILLING_FORMATS.map((f) => Type.Literal(f)),
        { default: 'json', description: 'json (default), csv (RFC 4180 with header) or parquet' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BillingQuery = Static<typeof BillingQuery>;

export const BillingDeterminant = Type.Object(
  {
    service_point_id: Type.String(),
    customer_id: Nullable(Type.String({ description: 'real id for billing/operator, else a pseudonym' })),
    tariff: Nullable(Type.String()),
    total_kwh: Type.Number(),
    tou: Type.Object(
      { peak_kwh: Type.Number(), off_peak_kwh: Type.Number(), flat_kwh: Type.Number() },
      { description: 'Energy per time-of-use bucket (flat tariffs: all in flat_kwh)' },
    ),
    max_demand_kw: Nullable(Type.Number({ description: 'Highest 15-minute demand of the period, kW' })),
    max_demand_at: Nullable(Type.String({ description: 'Start of the interval of the highest demand' })),
    intervals: Type.Object(
      { total: Count, estimated: Count, edited: Count, missing: Count, outage: Count },
      { description: 'Intervals of the period and how many were estimated, edited, missing, outage' },
    ),
    days: Count,
    days_in_period: Count,
    complete: Type.Boolean({ description: 'the service point has data on every day of the period' }),
    hold: Type.Boolean({ description: 'billing quality gate: too many estimated/missing intervals' }),
    hold_reason: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type BillingDeterminant = Static<typeof BillingDeterminant>;

export const BillingDeterminantsResponse = Type.Object(
  {
    period: Type.String(),
    time_zone: Type.String(),
    period_start: Type.String(),
    period_end: Type.String(),
    service_point_id: Nullable(Type.String({ description: 'the filter, when one was given' })),
    view: Type.Literal('billing_determinants'),
    view_version: Type.String({ description: 'version of the billing_determinants partition used' }),
    view_published_at: Type.String(),
    catalog_version: Type.String({ description: 'catalog version pinned for the request (v<seq>)' }),
    watermark: Type.String(),
    determinants: Type.Array(BillingDeterminant),
  },
  { additionalProperties: false },
);
export type BillingDeterminantsResponse = Static<typeof BillingDeterminantsResponse>;

/** View columns as stored (the order of the CSV/Parquet rows is by service_point_id). */
const VIEW_COLUMNS =
  'service_point_id, customer_id, tariff, total_wh, peak_wh, off_peak_wh, flat_wh, max_demand_w, ' +
  'max_demand_at, intervals, estimated, edited, missing, outage, days, days_in_period, complete, hold, hold_reason';

interface Row {
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

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

function toRow(r: Record<string, unknown>): Row {
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

/** The period's local days the pinned catalog has not published (meter_daily partitions). */
export function unpublishedDays(pinned: PinnedCatalog, period: string): string[] {
  const dates = localDatesOfBillingPeriod(period);
  const first = dates[0];
  const last = dates[dates.length - 1];
  if (first === undefined || last === undefined) return [];
  const published = new Set(
    pinned.partitions('meter_daily', { from: datePartition(first), to: datePartition(last) }),
  );
  return dates.filter((d) => !published.has(datePartition(d)));
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const CSV_COLUMNS = [
  'period',
  'service_point_id',
  'customer_id',
  'tariff',
  'total_kwh',
  'peak_kwh',
  'off_peak_kwh',
  'flat_kwh',
  'max_demand_kw',
  'max_demand_at',
  'intervals',
  'estimated',
  'edited',
  'missing',
  'outage',
  'days',
  'days_in_period',
  'complete',
  'hold',
  'hold_reason',
  'view_version',
  'catalog_version',
  'watermark',
] as const;

/** A kWh (or kW) value of the JSON body as text with exactly 3 decimals (exact: values are Wh / 1000). */
const kwhText = (kwh: number): string => formatKwh(kwhToWh(kwh));

/** The CSV document (header row, CRLF line ends) of a JSON body. */
export function billingCsv(body: BillingDeterminantsResponse): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const d of body.determinants) {
    const cells: (string | number | boolean | null)[] = [
      body.period,
      d.service_point_id,
      d.customer_id,
      d.tariff,
      kwhText(d.total_kwh),
      kwhText(d.tou.peak_kwh),
      kwhText(d.tou.off_peak_kwh),
      kwhText(d.tou.flat_kwh),
      d.max_demand_kw === null ? null : kwhText(d.max_demand_kw),
      d.max_demand_at,
      d.intervals.total,
      d.intervals.estimated,
      d.intervals.edited,
      d.intervals.missing,
      d.intervals.outage,
      d.days,
      d.days_in_period,
      d.complete,
      d.hold,
      d.hold_reason,
      body.view_version,
      body.catalog_version,
      body.watermark,
    ];
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function fileName(period: string, servicePointId: string | undefined, ext: string): string {
  return `billing-determinants-${period}${servicePointId === undefined ? '' : `-${servicePointId}`}.${ext}`;
}

function seesCustomerIds(req: FastifyRequest): boolean {
  return req.apiCaller?.roles.some((r) => CUSTOMER_ID_ROLES.includes(r)) ?? false;
}

export const billingRoutes: RouteModule = (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = ctx;
  const tz = deps.timeZone;
  const pool = new DuckDBPool(deps.db, POOL_SIZE);
  app.addHook('onClose', () => {
    pool.close();
    return Promise.resolve();
  });

  app.get(
    '/v1/billing/determinants',
    {
      preHandler: ctx.authorize(['billing']),
      schema: {
        tags: ['billing'],
        summary: 'Authoritative billing determinants of a billing period',
        description:
          'Total kWh, time-of-use buckets, max 15-minute demand, interval quality counts and the billing ' +
          'hold per service point, from the billing_determinants batch view of one catalog version. ' +
          '409 (details.missing_days) while the period is not final. csv: RFC 4180 with a header row, kWh ' +
          'with 3 decimals; parquet: the view rows as stored (integer Wh) plus period and versions.',
        querystring: BillingQuery,
        response: {
          200: {
            description: 'Determinants (JSON, CSV or Parquet by `format`)',
            content: {
              'application/json': { schema: BillingDeterminantsResponse },
              'text/csv': { schema: Type.String() },
              [PARQUET_CONTENT_TYPE]: { schema: Type.String({ format: 'binary' }) },
            },
          },
          404: errorResponse('Unknown service point in this period'),
          409: errorResponse('The period is not final: details.missing_days lists its unpublished days'),
        },
      },
    },
    async (req, reply) => {
      const { period, servicePointId } = req.query;
      const format: BillingFormat = req.query.format ?? 'json';
      if (!isValidBillingPeriod(period))
        throw badRequest(`not a billing period YYYY-MM: ${period}`, { period });
      const bounds = billingPeriodBounds(period, tz);

      return deps.catalog.withPinned(async (pinned) => {
        const missingDays = unpublishedDays(pinned, period);
        const w = pinned.watermarkMs;
        if (missingDays.length > 0 || w === null || w < bounds.endMs) {
          const lastContiguous = pinned.snapshot?.lastContiguousDay ?? null;
          throw conflict(
            missingDays.length > 0
              ? `billing period ${period} is not final: ${missingDays.length} day(s) not published`
              : `billing period ${period} is not final: the watermark is before its end`,
            {
              period,
              missing_days: missingDays,
              watermark: pinned.watermark,
              period_end: formatIsoOffset(bounds.endMs, tz),
              ...(missingDays.length === 0 && lastContiguous !== null
                ? { first_unpublished_day: addLocalDays(lastContiguous, 1) }
                : {}),
            },
          );
        }
        const partition = monthPartition(period);
        const files = await pinned.localFiles('billing_determinants', [partition]);
        const entry = files.partitions[0]?.entry;
        if (entry === undefined || pinned.version === null || pinned.watermark === null)
          throw conflict(`billing period ${period} is not final: billing_determinants not published`, {
            period,
            missing_days: [],
            watermark: pinned.watermark,
          });
        const source = `read_parquet([${files.paths.map(sqlPath).join(', ')}], hive_partitioning = false)`;
        const where = servicePointId === undefined ? '' : 'WHERE service_point_id = $1';
        const filter = servicePointId === undefined ? [] : [servicePointId];
        const meta = {
          period,
          view_version: entry.version,
          catalog_version: pinned.version,
          watermark: pinned.watermark,
        };

        if (format === 'parquet') {
          const dir = await mkdtemp(join(tmpdir(), 'ami-billing-'));
          const path = join(dir, 'determinants.parquet');
          try {
            const n = await pool.use(async (c: DuckDBConnection) => {
              if (servicePointId !== undefined) {
                const seen = await c.runAndReadAll(`SELECT count(*) AS n FROM ${source} ${where}`, filter);
                if (num(seen.getRowObjects()[0]?.n) === 0) return 0;
              }
              const columns = seesCustomerIds(req) ? VIEW_COLUMNS : VIEW_COLUMNS.replace('customer_id, ', '');
              const p = filter.length;
              await c.run(
                `COPY (SELECT $${p + 1}::VARCHAR AS period, ${columns}, $${p + 2}::VARCHAR AS view_version,
                        $${p + 3}::VARCHAR AS catalog_version, $${p + 4}::VARCHAR AS watermark
                       FROM ${source} ${where} ORDER BY service_point_id)
                 TO ${sqlPath(path)} (FORMAT parquet)`,
                [...filter, meta.period, meta.view_version, meta.catalog_version, meta.watermark],
              );
              return 1;
            });
            if (n === 0)
              throw notFound(`unknown service point in ${period}: ${servicePointId}`, {
                servicePointId,
                period,
              });
          } catch (err) {
            await rm(dir, { recursive: true, force: true });
            throw err;
          }
          const stream = createReadStream(path);
          stream.on('close', () => void rm(dir, { recursive: true, force: true }));
          return reply
            .header('content-type', PARQUET_CONTENT_TYPE)
            .header(
              'content-disposition',
              `attachment; filename="${fileName(period, servicePointId, 'parquet')}"`,
            )
            .send(stream);
        }

        const rows = await pool.use(async (c: DuckDBConnection) => {
          const reader = await c.runAndReadAll(
            `SELECT ${VIEW_COLUMNS.replace('max_demand_at', 'epoch_ms(max_demand_at) AS max_demand_at_ms')}
             FROM ${source} ${where} ORDER BY service_point_id`,
            filter,
          );
          return reader.getRowObjects().map(toRow);
        });
        if (servicePointId !== undefined && rows.length === 0)
          throw notFound(`unknown service point in ${period}: ${servicePointId}`, { servicePointId, period });

        const body: BillingDeterminantsResponse = {
          period,
          time_zone: tz,
          period_start: formatIsoOffset(bounds.startMs, tz),
          period_end: formatIsoOffset(bounds.endMs, tz),
          service_point_id: servicePointId ?? null,
          view: 'billing_determinants',
          view_version: meta.view_version,
          view_published_at: entry.publishedAt,
          catalog_version: meta.catalog_version,
          watermark: meta.watermark,
          determinants: rows.map((r) => ({
            service_point_id: r.servicePointId,
            customer_id: r.customerId === null ? null : customerIdFor(req, r.customerId),
            tariff: r.tariff,
            total_kwh: whToKwh(r.totalWh),
            tou: {
              peak_kwh: whToKwh(r.peakWh),
              off_peak_kwh: whToKwh(r.offPeakWh),
              flat_kwh: whToKwh(r.flatWh),
            },
            max_demand_kw: r.maxDemandW === null ? null : r.maxDemandW / 1000,
            max_demand_at: r.maxDemandAtMs === null ? null : formatIsoOffset(r.maxDemandAtMs, tz),
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
          })),
        };
        if (format === 'csv') {
          return reply
            .header('content-type', CSV_CONTENT_TYPE)
            .header(
              'content-disposition',
              `attachment; filename="${fileName(period, servicePointId, 'csv')}"`,
            )
            .send(billingCsv(body));
        }
        return reply.header('content-type', 'application/json; charset=utf-8').send(body);
      });
    },
  );
  return Promise.resolve();
};
