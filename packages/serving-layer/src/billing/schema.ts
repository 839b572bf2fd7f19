/**
 * The billing determinants API's TypeBox schemas (`GET /v1/billing/determinants`, src/routes/billing.ts):
 * the query (period, optional service point, format) and the JSON body — one determinant per service
 * point with energy in kWh, time-of-use buckets, max demand in kW and interval quality counts, plus
 * the period, the view and catalog versions and the watermark the answer was read at.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ID_PATTERN } from '@ami/shared/contracts';
import { MONTH_PATTERN } from '../formats.ts';

export const BILLING_FORMATS = ['json', 'csv', 'parquet'] as const;
export type BillingFormat = (typeof BILLING_FORMATS)[number];

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Count = Type.Integer({ minimum: 0 });

export const BillingQuery = Type.Object(
  {
    period: Type.String({
      pattern: MONTH_PATTERN,
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
      {
        description:
          'Intervals of the period and how many were estimated (by VEE or by the head-end: estimated_flag), edited, missing, outage',
      },
    ),
    days: Count,
    days_in_period: Count,
    complete: Type.Boolean({ description: 'the service point has data on every day of the period' }),
    hold: Type.Boolean({
      description: 'billing quality gate: too many estimated (VEE or head-end) or missing intervals',
    }),
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
