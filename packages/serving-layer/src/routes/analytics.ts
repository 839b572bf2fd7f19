/**
 * Analytics route (SPEC 6): grouped aggregates over region, substation, feeder, segment or tariff,
 * merged at the watermark and labelled (src/analytics/aggregate.ts).
 *
 *   GET /v1/analytics/aggregate?metric&groupBy&step&from&to[&region&feeder&segment&tariff][&format]   analyst
 *
 * The handler is a sequence of named steps: parse (the query's rules beyond its schema, 400) →
 * authorize (the `analyst` role) → fetch + merge (`aggregate`: batch views of one pinned catalog
 * version for the days it has published, the realtime view for the others) → format (JSON, CSV through the API's one
 * CSV writer, or an Arrow IPC stream). The pinned `version` and `watermark` are in the JSON body and
 * in the `x-ami-catalog-version` / `x-ami-watermark` headers for CSV and Arrow. Range limits: the
 * series' per-step MAX_RANGE_DAYS, MAX_CELLS buckets × groups, MAX_METER_VIEW_DAYS for segment/tariff.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { PinnedCatalog } from '@ami/shared/catalog';
import { formatIsoOffset } from '@ami/shared/time';
import { aggregate, type AggregateRequest, type AggregateRow } from '../analytics/aggregate.ts';
import { ARROW_STREAM, CSV_TYPE, toArrow, toCsv } from '../analytics/format.ts';
import {
  AggregateQuery,
  GROUP_BYS,
  METRICS,
  checkCells,
  checkCombination,
  checkMeterViewRange,
  filtersOf,
  type Format,
} from '../analytics/query.ts';
import { SERIES_STATUSES, publishedCoverage, seriesBuckets, spanOf } from '../merge/index.ts';
import type { RealtimeSource } from '../sources/provisional.ts';
import type { RouteContext, RouteModule } from './context.ts';
import { parseSeriesQuery } from './series.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const AggregateRowSchema = Type.Object({
  group: Type.String(),
  start: Type.String(),
  end: Type.String(),
  value: Nullable(Type.Number()),
  status: Type.Union(SERIES_STATUSES.map((s) => Type.Literal(s))),
  reason: Nullable(
    Type.String({ description: 'no_realtime_aggregate: segment/tariff bucket not wholly on published days' }),
  ),
});

export const AggregateResponse = Type.Object({
  metric: Type.Union(METRICS.map((m) => Type.Literal(m))),
  group_by: Type.Union(GROUP_BYS.map((g) => Type.Literal(g))),
  step: Type.String(),
  from: Type.String({ description: 'start of the first bucket' }),
  to: Type.String({ description: 'end of the last bucket' }),
  time_zone: Type.String(),
  filters: Type.Record(Type.String(), Type.String()),
  watermark: Nullable(Type.String()),
  version: Nullable(Type.String()),
  groups: Type.Array(Type.String()),
  rows: Type.Array(AggregateRowSchema),
});
export type AggregateResponse = Static<typeof AggregateResponse>;

const AGGREGATE_SCHEMA = {
  tags: ['analytics'],
  summary: 'Grouped aggregates, merged at the watermark and labelled',
  description:
    'region/substation/feeder from the grid views (batch on published days, realtime on the others: after ' +
    'the watermark or a gap before it); segment/tariff from the meter views joined with meter_daily ' +
    'attribution — the realtime view has no segment/tariff aggregate, so their buckets not wholly on ' +
    'published days (after the watermark) are missing with reason ' +
    'no_realtime_aggregate. format=csv answers text/csv, format=arrow an Arrow IPC stream ' +
    `(${ARROW_STREAM}). At most 100,000 buckets × groups.`,
  querystring: AggregateQuery,
  response: {
    200: {
      description: 'Aggregates (JSON, CSV or an Arrow IPC stream by `format`)',
      content: {
        'application/json': { schema: AggregateResponse },
        'text/csv': { schema: Type.String() },
        [ARROW_STREAM]: { schema: Type.String({ format: 'binary' }) },
      },
    },
  },
};

/** Parse: the query's rules beyond its schema (combination, range, cells; 400 naming the rule). */
function parseRequest(q: AggregateQuery, timeZone: string): AggregateRequest {
  const filters = filtersOf(q);
  checkCombination(q.metric, q.groupBy, filters);
  const { fromMs, toMs, step } = parseSeriesQuery(q);
  checkMeterViewRange(q.groupBy, step, fromMs, toMs);
  const buckets = seriesBuckets(fromMs, toMs, step, timeZone);
  checkCells(buckets.length, 1);
  return { metric: q.metric, groupBy: q.groupBy, step, buckets, filters };
}

/** Format: the JSON body of the rows. */
function jsonBody(
  request: AggregateRequest,
  rows: readonly AggregateRow[],
  pinned: PinnedCatalog,
  tz: string,
): AggregateResponse {
  const span = spanOf(request.buckets);
  return {
    metric: request.metric,
    group_by: request.groupBy,
    step: request.step,
    from: formatIsoOffset(span.startMs, tz),
    to: formatIsoOffset(span.endMs, tz),
    time_zone: tz,
    filters: { ...request.filters },
    watermark: pinned.watermark,
    version: pinned.version,
    groups: [...new Set(rows.map((r) => r.group))],
    rows: rows.map((r) => ({
      group: r.group,
      start: formatIsoOffset(r.startMs, tz),
      end: formatIsoOffset(r.endMs, tz),
      value: r.value,
      status: r.status,
      reason: r.reason,
    })),
  };
}

/** Format: CSV or Arrow, with the pinned version and watermark as headers. */
function sendFile(
  reply: FastifyReply,
  format: Exclude<Format, 'json'>,
  rows: readonly AggregateRow[],
  pinned: PinnedCatalog,
  tz: string,
): FastifyReply {
  if (pinned.version !== null) void reply.header('x-ami-catalog-version', pinned.version);
  if (pinned.watermark !== null) void reply.header('x-ami-watermark', pinned.watermark);
  if (format === 'csv') return reply.type(CSV_TYPE).send(toCsv(rows, tz));
  return reply.type(ARROW_STREAM).send(Buffer.from(toArrow(rows, tz)));
}

export const analyticsRoutes: RouteModule = (fastify, ctx: RouteContext) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps, pool } = ctx;
  const tz = deps.timeZone;
  const realtime: RealtimeSource = {
    redis: deps.redis,
    keyPrefix: deps.realtimePrefix,
    partitions: deps.partitions,
    timeZone: tz,
  };

  app.get(
    '/v1/analytics/aggregate',
    { preHandler: ctx.authorize(['analyst']), schema: AGGREGATE_SCHEMA },
    async (req, reply) => {
      const request = parseRequest(req.query, tz);
      const format = req.query.format ?? 'json';
      return deps.catalog.withPinned(async (pinned) => {
        const rows = await aggregate(
          request,
          { pinned, pool, timeZone: tz },
          realtime,
          pinned.watermarkMs,
          deps.now(),
          publishedCoverage(pinned.publishedDays(), tz),
        );
        if (format === 'json') return jsonBody(request, rows, pinned, tz);
        // CSV and Arrow bypass the JSON response schema (route-contract validates objects only).
        return sendFile(reply, format, rows, pinned, tz);
      });
    },
  );
  return Promise.resolve();
};
