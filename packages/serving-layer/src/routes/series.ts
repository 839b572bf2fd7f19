/**
 * Series routes (SPEC 6): a meter's or a grid entity's energy over [from, to) in buckets of 15m, 1h,
 * 1d or 1mo, merged from the batch views (the local days the pinned catalog has published) and the
 * realtime view (every other day: after the watermark, or a gap before it) — src/merge/coverage.ts.
 *
 *   GET /v1/meters/{meterId}/series?from&to&step        analyst, billing, dashboard
 *   GET /v1/grid/{level}/{id}/series?from&to&step       analyst, dashboard
 *
 * Each handler is a sequence of named steps: parse (from/to/step, 400) → authorize (roles, a
 * preHandler) → fetch (under ONE pinned catalog version — its `version` and `watermark` are in the
 * body — the batch views for the days it has published and the realtime view for the others, in
 * parallel) → merge
 * (src/merge) → format (kWh, instants with the zone's offset). Buckets are whole windows: a `from`/`to` inside a window widens the
 * request to it (the body's `from`/`to` are the bucket bounds). Range limits per step keep a request
 * bounded (MAX_RANGE_DAYS). An id nobody knows is not a 404: without a topology in the serving deps,
 * "no data in range" and "no such meter" cannot be told apart, so both answer 200 with `missing`
 * points.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { CatalogReader, PinnedCatalog } from '@ami/shared/catalog';
import { ID_PATTERN } from '@ami/shared/contracts';
import { whToKwh } from '@ami/shared/energy';
import { DAY_MS, STEPS, formatIsoOffset, parseIsoInstant, type Step, type TimeRange } from '@ami/shared/time';
import { GRID_LEVELS } from '@ami/speed-layer/realtime-view';
import {
  SERIES_STATUSES,
  mergeGridSeries,
  mergeMeterSeries,
  publishedCoverage,
  realtimeDatesOf,
  seriesBuckets,
  spanOf,
  type BatchCoverage,
  type Bucket,
  type GridPoint,
  type MeterPoint,
} from '../merge/index.ts';
import {
  MeterDayCache,
  readGridAuthoritative,
  readMeterAuthoritative,
  type BatchSource,
} from '../sources/authoritative.ts';
import { invalidParameter } from '../errors.ts';
import { ISO_INSTANT_PATTERN, formatOfPattern } from '../formats.ts';
import type { DuckDBPool } from '../sources/duckdb-pool.ts';
import { readGridProvisional, readMeterProvisional, type RealtimeSource } from '../sources/provisional.ts';
import type { RouteContext, RouteModule } from './context.ts';

/** Longest [from, to) per step, in days (≈ 1 month, 1 year, 5 years, 10 years). */
export const MAX_RANGE_DAYS: Readonly<Record<Step, number>> = {
  '15m': 31,
  '1h': 366,
  '1d': 1827,
  '1mo': 3653,
};

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SeriesQuery = Type.Object(
  {
    from: Type.String({
      pattern: ISO_INSTANT_PATTERN,
      description: 'start, inclusive: ISO-8601 with offset',
    }),
    to: Type.String({ pattern: ISO_INSTANT_PATTERN, description: 'end, exclusive: ISO-8601 with offset' }),
    step: Type.Union(
      STEPS.map((s) => Type.Literal(s)),
      { description: '15m and 1h: UTC windows; 1d and 1mo: local days and months (AMI_TIMEZONE)' },
    ),
  },
  { additionalProperties: false },
);
export type SeriesQuery = Static<typeof SeriesQuery>;

const Id = Type.String({ pattern: ID_PATTERN });
const MeterParams = Type.Object({ meterId: Id }, { additionalProperties: false });
const GridParams = Type.Object(
  { level: Type.Union(GRID_LEVELS.map((l) => Type.Literal(l))), id: Id },
  { additionalProperties: false },
);

const Status = Type.Union(
  SERIES_STATUSES.map((s) => Type.Literal(s)),
  {
    description:
      'authoritative: every interval of the bucket is on a published day (batch views); provisional: some ' +
      'interval is on a day not published (after the watermark, or a gap before it) and the realtime view ' +
      'answers it, the bucket assembled from both when needed; missing: no value on either side',
  },
);
const Count = Type.Integer({ minimum: 0 });

const SeriesEnvelope = {
  step: Type.Union(STEPS.map((s) => Type.Literal(s))),
  from: Type.String({ description: 'start of the first bucket' }),
  to: Type.String({ description: 'end of the last bucket' }),
  time_zone: Type.String(),
  watermark: Nullable(Type.String({ description: 'batch watermark of the catalog version used' })),
  version: Nullable(Type.String({ description: 'catalog version used (v<seq>)' })),
};

export const MeterSeriesPoint = Type.Object({
  start: Type.String(),
  end: Type.String(),
  kwh: Nullable(Type.Number()),
  status: Status,
  quality: Type.Object(
    { actual: Count, estimated: Count, edited: Count, missing: Count, outage: Count },
    { description: "the bucket's intervals by class; the five counts add up to its intervals" },
  ),
});

export const MeterSeriesResponse = Type.Object({
  meter_id: Type.String(),
  ...SeriesEnvelope,
  points: Type.Array(MeterSeriesPoint),
});
export type MeterSeriesResponse = Static<typeof MeterSeriesResponse>;

export const GridSeriesPoint = Type.Object({
  start: Type.String(),
  end: Type.String(),
  kwh: Nullable(Type.Number()),
  status: Status,
  meters_total: Nullable(Count),
  meters_reported: Nullable(Count),
  receipt_rate: Nullable(Type.Number({ description: 'reads received / reads expected over the bucket' })),
  voltage: Type.Object({
    avg: Nullable(Type.Number()),
    min: Nullable(Type.Number()),
    max: Nullable(Type.Number()),
  }),
});

export const GridSeriesResponse = Type.Object({
  level: Type.String(),
  id: Type.String(),
  ...SeriesEnvelope,
  points: Type.Array(GridSeriesPoint),
});
export type GridSeriesResponse = Static<typeof GridSeriesResponse>;

interface ParsedQuery {
  readonly fromMs: number;
  readonly toMs: number;
  readonly step: Step;
}

/**
 * Instants a query may name: years 0002–9998, well inside the time library's range (0001-01-02 to
 * 9999-12-31), so that every local day, month and window around from/to is inside it too.
 */
export const EARLIEST_QUERY_MS = Date.parse('0002-01-01T00:00:00Z');
export const LATEST_QUERY_MS = Date.parse('9999-01-01T00:00:00Z');

const EARLIEST_QUERY_TEXT = '0002-01-01T00:00:00Z';
const LATEST_QUERY_TEXT = '9999-01-01T00:00:00Z';

/**
 * A query instant (`from`, `to`, `since`, …): ISO-8601 with offset naming a real date and time,
 * inside [EARLIEST_QUERY_MS, LATEST_QUERY_MS); else a 400 naming the parameter, the allowed range and
 * the value received.
 */
export function queryInstant(name: string, text: string): number {
  const ms = parseIsoInstant(text);
  if (Number.isNaN(ms))
    throw invalidParameter(
      'querystring',
      name,
      text,
      `${formatOfPattern(ISO_INSTANT_PATTERN) ?? 'an ISO-8601 instant'} naming a real date and time`,
    );
  if (ms < EARLIEST_QUERY_MS || ms >= LATEST_QUERY_MS)
    throw invalidParameter(
      'querystring',
      name,
      text,
      `at or after ${EARLIEST_QUERY_TEXT} and before ${LATEST_QUERY_TEXT}`,
      { earliest: EARLIEST_QUERY_TEXT, latest: LATEST_QUERY_TEXT },
    );
  return ms;
}

/** Checks from/to/step beyond the schema: real instants in range, from < to, range within the step's limit. */
export function parseSeriesQuery(q: SeriesQuery): ParsedQuery {
  const fromMs = queryInstant('from', q.from);
  const toMs = queryInstant('to', q.to);
  if (fromMs >= toMs)
    throw invalidParameter('querystring', 'to', q.to, `after "from" (${q.from})`, { from: q.from, to: q.to });
  const maxDays = MAX_RANGE_DAYS[q.step];
  if (toMs - fromMs > maxDays * DAY_MS) {
    throw invalidParameter(
      'querystring',
      'to',
      q.to,
      `at most ${maxDays} days after "from" with step ${q.step}`,
      {
        step: q.step,
        maxDays,
        days: Math.round(((toMs - fromMs) / DAY_MS) * 100) / 100,
      },
    );
  }
  return { fromMs, toMs, step: q.step };
}

const kwh = (wh: number | null) => (wh === null ? null : whToKwh(wh));

function meterPoint(p: MeterPoint, tz: string): Static<typeof MeterSeriesPoint> {
  return {
    start: formatIsoOffset(p.startMs, tz),
    end: formatIsoOffset(p.endMs, tz),
    kwh: kwh(p.wh),
    status: p.status,
    quality: { ...p.quality },
  };
}

function gridPoint(p: GridPoint, tz: string): Static<typeof GridSeriesPoint> {
  return {
    start: formatIsoOffset(p.startMs, tz),
    end: formatIsoOffset(p.endMs, tz),
    kwh: kwh(p.wh),
    status: p.status,
    meters_total: p.metersTotal,
    meters_reported: p.metersReported,
    receipt_rate: p.receiptRate,
    voltage: { avg: p.voltageAvg, min: p.voltageMin, max: p.voltageMax },
  };
}

/** What the series handlers read from: the pinned catalog's batch views and the realtime view. */
interface SeriesSources {
  readonly catalog: CatalogReader;
  readonly pool: DuckDBPool;
  readonly realtime: RealtimeSource;
  /** Decoded meter-days of immutable view files, shared by every request of this app. */
  readonly meterDays: MeterDayCache;
  readonly timeZone: string;
  readonly now: () => number;
}

/** Parse: the query's buckets (whole windows of the step covering [from, to)). */
function parseBuckets(q: SeriesQuery, tz: string): { step: Step; buckets: Bucket[] } {
  const { fromMs, toMs, step } = parseSeriesQuery(q);
  return { step, buckets: seriesBuckets(fromMs, toMs, step, tz) };
}

/** Format: the fields both series bodies share (bucket bounds, zone, the pin's watermark and version). */
function envelope(step: Step, span: TimeRange, pinned: PinnedCatalog, tz: string) {
  return {
    step,
    from: formatIsoOffset(span.startMs, tz),
    to: formatIsoOffset(span.endMs, tz),
    time_zone: tz,
    watermark: pinned.watermark,
    version: pinned.version,
  };
}

/** Which intervals the batch views answer under this pin: its published days (merge/coverage.ts). */
function coverageOf(pinned: PinnedCatalog, tz: string): BatchCoverage {
  return publishedCoverage(pinned.publishedDays(), tz);
}

async function meterSeries(
  src: SeriesSources,
  meterId: string,
  q: SeriesQuery,
): Promise<MeterSeriesResponse> {
  const tz = src.timeZone;
  const { step, buckets } = parseBuckets(q, tz);
  return src.catalog.withPinned(async (pinned) => {
    const w = pinned.watermarkMs;
    const coverage = coverageOf(pinned, tz);
    const span = spanOf(buckets);
    const batch: BatchSource = { pinned, pool: src.pool, timeZone: tz, meterDays: src.meterDays };
    const [authoritative, provisional] = await Promise.all([
      readMeterAuthoritative(batch, meterId, step, buckets, coverage),
      readMeterProvisional(src.realtime, meterId, realtimeDatesOf(coverage, span, tz)),
    ]);
    const points = mergeMeterSeries({ buckets, watermarkMs: w, coverage, authoritative, provisional });
    return {
      meter_id: meterId,
      ...envelope(step, span, pinned, tz),
      points: points.map((p) => meterPoint(p, tz)),
    };
  });
}

async function gridSeries(
  src: SeriesSources,
  level: Static<typeof GridParams>['level'],
  id: string,
  q: SeriesQuery,
): Promise<GridSeriesResponse> {
  const tz = src.timeZone;
  const { step, buckets } = parseBuckets(q, tz);
  return src.catalog.withPinned(async (pinned) => {
    const w = pinned.watermarkMs;
    const coverage = coverageOf(pinned, tz);
    const span = spanOf(buckets);
    const batch: BatchSource = { pinned, pool: src.pool, timeZone: tz };
    const [authoritative, provisional] = await Promise.all([
      readGridAuthoritative(batch, level, id, buckets, coverage, w),
      readGridProvisional(src.realtime, level, id, realtimeDatesOf(coverage, span, tz), src.now()),
    ]);
    const points = mergeGridSeries({
      buckets,
      watermarkMs: w,
      coverage,
      authoritative: authoritative.windows,
      provisional,
      provisionalMetersTotal: authoritative.metersTotal,
    });
    return { level, id, ...envelope(step, span, pinned, tz), points: points.map((p) => gridPoint(p, tz)) };
  });
}

const METER_SERIES_SCHEMA = {
  tags: ['series'],
  summary: "A meter's merged energy series",
  description:
    'Intervals on local days the batch layer has published come from the batch views; buckets made only of ' +
    'them are authoritative. Other intervals (after the watermark, or on an unpublished day before it) come ' +
    'from the realtime view (provisional); a bucket with both is assembled from both and provisional.',
  params: MeterParams,
  querystring: SeriesQuery,
  response: { 200: MeterSeriesResponse },
};

const GRID_SERIES_SCHEMA = {
  tags: ['series'],
  summary: "A grid entity's merged series (transformer, feeder, substation, region)",
  description:
    'Energy, meters reporting, read receipt rate and voltage per bucket, merged as the meter series. ' +
    'meters_total/meters_reported are the most meters in/reporting in one 15-minute window of the bucket.',
  params: GridParams,
  querystring: SeriesQuery,
  response: { 200: GridSeriesResponse },
};

export const seriesRoutes: RouteModule = (fastify, ctx: RouteContext) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps, pool } = ctx;
  const tz = deps.timeZone;
  const realtime: RealtimeSource = {
    redis: deps.redis,
    keyPrefix: deps.realtimePrefix,
    partitions: deps.partitions,
    partitioner: deps.partitioner,
    timeZone: tz,
  };
  const src: SeriesSources = {
    catalog: deps.catalog,
    pool,
    realtime,
    meterDays: new MeterDayCache(),
    timeZone: tz,
    now: deps.now,
  };

  app.get(
    '/v1/meters/:meterId/series',
    { preHandler: ctx.authorize(['analyst', 'billing', 'dashboard']), schema: METER_SERIES_SCHEMA },
    (req) => meterSeries(src, req.params.meterId, req.query),
  );
  app.get(
    '/v1/grid/:level/:id/series',
    { preHandler: ctx.authorize(['analyst', 'dashboard']), schema: GRID_SERIES_SCHEMA },
    (req) => gridSeries(src, req.params.level, req.params.id, req.query),
  );
  return Promise.resolve();
};
