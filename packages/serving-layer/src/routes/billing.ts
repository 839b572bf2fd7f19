/**
 * GET /v1/billing/determinants?period=YYYY-MM[&servicePointId][&format=json|csv|parquet] (billing):
 * the authoritative billing determinants of one billing period, read from the `billing_determinants`
 * partition `month=<period>` of ONE pinned catalog version — never provisional data.
 *
 * The handler is a sequence of named steps: parse (the period, 400) → authorize (the `billing` role;
 * customer ids in clear or pseudonymised by role) → fetch (a service point the topology has no
 * version of during the period is 404, final period or not; the period must be final, else 409 with
 * `details.missing_days`; the view's rows, 404 for a service point without a row; src/billing/view.ts) →
 * merge (rows into the JSON body, src/billing/format.ts) → format (JSON; CSV with kWh to 3 decimals
 * through the API's one CSV writer; Parquet: a DuckDB COPY of the rows as stored, integer Wh, plus
 * period and versions, written to a temp file that is streamed and then removed).
 */
import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { billingPeriodBounds, isValidBillingPeriod } from '@ami/shared/time';
import { CUSTOMER_ID_ROLES, customerIdFor } from '../auth/authorize.ts';
import {
  BILLING_CSV_CONTENT_TYPE,
  PARQUET_CONTENT_TYPE,
  billingCsv,
  determinantsBody,
  exportFileName,
} from '../billing/format.ts';
import { BillingDeterminantsResponse, BillingQuery, type BillingFormat } from '../billing/schema.ts';
import {
  exportParquet,
  openBillingView,
  readDeterminantRows,
  requireFinalPeriod,
  type BillingSelection,
  type BillingView,
  type ParquetExport,
} from '../billing/view.ts';
import { errorResponse, invalidParameter, notFound } from '../errors.ts';
import type { TopologyLookup } from '../topology.ts';
import type { RouteModule } from './context.ts';

export {
  BILLING_FORMATS,
  BillingDeterminant,
  BillingDeterminantsResponse,
  BillingQuery,
  type BillingFormat,
} from '../billing/schema.ts';

const DETERMINANTS_SCHEMA = {
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
    404: errorResponse(
      'Unknown service point: the topology has no version of it during the period, or the final period has no row of it',
    ),
    409: errorResponse('The period is not final: details.missing_days lists its unpublished days'),
  },
};

/** A parsed request: the selection, its format and the period's bounds in the zone. */
interface BillingRequest extends BillingSelection {
  readonly format: BillingFormat;
  readonly startMs: number;
  readonly endMs: number;
  readonly timeZone: string;
}

/** Billing periods the API serves: years 0002–9998, as query instants (routes/series.ts). */
const FIRST_PERIOD = '0002-01';
const LAST_PERIOD = '9998-12';

/** Parse: the query beyond its schema (a real billing period in the supported years, 400 otherwise). */
function parseRequest(q: BillingQuery, timeZone: string): BillingRequest {
  // years first (the schema made it YYYY-MM): 0000-01 is out of range, 2026-13 no month
  if (q.period < FIRST_PERIOD || q.period > LAST_PERIOD)
    throw invalidParameter(
      'querystring',
      'period',
      q.period,
      `a month from ${FIRST_PERIOD} to ${LAST_PERIOD}`,
    );
  if (!isValidBillingPeriod(q.period))
    throw invalidParameter(
      'querystring',
      'period',
      q.period,
      'a month YYYY-MM with a month 01–12, e.g. 2026-03',
    );
  const bounds = billingPeriodBounds(q.period, timeZone);
  return {
    period: q.period,
    servicePointId: q.servicePointId,
    format: q.format ?? 'json',
    startMs: bounds.startMs,
    endMs: bounds.endMs,
    timeZone,
  };
}

/**
 * Fetch: 404 for a service point the topology has no version of during the period — before the
 * period's finality, so that an unknown one is never answered 409 (nothing to check without a
 * topology or a service point filter).
 */
async function requireKnownServicePoint(topology: TopologyLookup | undefined, request: BillingRequest) {
  const id = request.servicePointId;
  if (topology === undefined || id === undefined) return;
  if (await topology.servicePointDuring(id, request.startMs, request.endMs)) return;
  throw notFound(`unknown service point ${id}: the topology has no version of it in ${request.period}`, {
    servicePointId: id,
    period: request.period,
  });
}

/** Authorize: whether the caller may see customer ids in clear (the Parquet export drops them else). */
function seesCustomerIds(req: FastifyRequest): boolean {
  return req.apiCaller?.roles.some((r) => CUSTOMER_ID_ROLES.includes(r)) ?? false;
}

/** Format: the Parquet export, streamed; the temp file goes once the stream closes. */
function sendParquet(reply: FastifyReply, view: BillingView, file: ParquetExport): FastifyReply {
  const stream = createReadStream(file.path);
  stream.on('close', () => void file.remove());
  return reply
    .header('content-type', PARQUET_CONTENT_TYPE)
    .header('content-disposition', `attachment; filename="${exportFileName(view, 'parquet')}"`)
    .send(stream);
}

/** Format: the JSON body, or its CSV document as an attachment. */
function sendBody(
  reply: FastifyReply,
  view: BillingView,
  format: BillingFormat,
  body: BillingDeterminantsResponse,
): FastifyReply {
  if (format === 'csv')
    return reply
      .header('content-type', BILLING_CSV_CONTENT_TYPE)
      .header('content-disposition', `attachment; filename="${exportFileName(view, 'csv')}"`)
      .send(billingCsv(body));
  return reply.header('content-type', 'application/json; charset=utf-8').send(body);
}

export const billingRoutes: RouteModule = (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps, pool } = ctx;

  app.get(
    '/v1/billing/determinants',
    { preHandler: ctx.authorize(['billing']), schema: DETERMINANTS_SCHEMA },
    async (req, reply) => {
      const request = parseRequest(req.query, deps.timeZone);
      await requireKnownServicePoint(deps.topology, request);
      return deps.catalog.withPinned(async (pinned) => {
        requireFinalPeriod(pinned, request.period, request.endMs, request.timeZone);
        const view = await openBillingView(pinned, request);
        if (request.format === 'parquet')
          return sendParquet(reply, view, await exportParquet(pool, view, seesCustomerIds(req)));
        const rows = await readDeterminantRows(pool, view);
        const body = determinantsBody(view, rows, request, (id) => customerIdFor(req, id));
        return sendBody(reply, view, request.format, body);
      });
    },
  );
  return Promise.resolve();
};
