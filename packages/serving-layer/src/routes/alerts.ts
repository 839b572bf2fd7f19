/**
 * Alert routes (SPEC 6) over the speed layer's alert store and realtime view, read through its
 * contract (`AlertView` / `RealtimeView` of @ami/speed-layer/realtime-view; `deps.alertKeyPrefix`):
 *
 *   GET /v1/alerts?status&severity&source&since&limit&cursor   dashboard, operator   list (paged)
 *   GET /v1/alerts/stream                               dashboard, operator   SSE of transitions
 *   GET /v1/realtime/overview                           dashboard             latest window per feeder
 *
 * status=open lists the active hash; cleared / all list the history stream newest first (cleared:
 * clear transitions only; all: every transition). `since` filters by the transition's event time
 * (opened_at / cleared_at). A page holds at most `limit` alerts; `total` counts every alert matching
 * from the page on, `truncated` says more match than the page holds and `next_cursor` is where the
 * next page starts (src/alerts/cursor.ts). Without `deps.alertKeyPrefix` every route answers 503.
 * The stream hijacks the reply (the app's handler timeout does not apply), tails the history stream
 * on a dedicated Redis connection (src/alerts/sse.ts) and is limited per API key (429 beyond).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PinnedCatalog } from '@ami/shared/catalog';
import { duplicateClient, type RedisClient } from '@ami/shared/clients';
import { AlertSchema } from '@ami/shared/contracts';
import { AlertSourceSchema, SeveritySchema } from '@ami/shared/domain';
import { formatIsoOffset, localDate, parseIsoInstant } from '@ami/shared/time';
import { RealtimeView, type AlertView } from '@ami/speed-layer/realtime-view';
import {
  alertViewOf,
  isStreamId,
  readHistory,
  readOpenAlerts,
  STREAM_ID_PATTERN,
  type AlertFilter,
} from '../alerts/alert-reader.ts';
import {
  countAlertsByFeeder,
  feedersOfMeters,
  latestClosedWindow,
  overviewWatermark,
  readFeederRoster,
  readFeederWindows,
  scanRealtimeFeeders,
  type FeederRoster,
  type FeederWindow,
} from '../alerts/overview.ts';
import { streamAlerts } from '../alerts/sse.ts';
import { decodeCursor, encodeCursor, type AlertsCursor } from '../alerts/cursor.ts';
import { ApiError, dependencyUnavailable, errorResponse, invalidParameter } from '../errors.ts';
import { ALERTS_CURSOR_PATTERN, ISO_INSTANT_PATTERN, formatOfPattern } from '../formats.ts';
import type { DuckDBPool } from '../sources/duckdb-pool.ts';
import type { RouteContext, RouteModule, ServingDeps } from './context.ts';
import { queryInstant } from './series.ts';

export interface AlertsRoutesOptions {
  /** Concurrent SSE streams per API key (beyond: 429). */
  readonly maxStreamsPerKey: number;
  /** A heartbeat comment after this long without an event. */
  readonly heartbeatMs: number;
  /** Most missed entries replayed on reconnect (the newest ones). */
  readonly maxReplay: number;
  /** History entries one list request reads at most. */
  readonly maxHistoryScan: number;
  /** AMI_ALERT_INSTANCE_TIMEOUT_S of the alert engine, ms. */
  readonly instanceTimeoutMs: number;
  /** AMI_SPEED_ALLOWED_LATENESS_S, ms (watermark when no engine instance reports). */
  readonly allowedLatenessMs: number;
  /** Bounds of the fallback feeder SCAN (no published day). */
  readonly maxScanCalls: number;
  readonly maxFeeders: number;
}

export const DEFAULT_ALERTS_ROUTES_OPTIONS: AlertsRoutesOptions = {
  maxStreamsPerKey: 5,
  heartbeatMs: 15_000,
  maxReplay: 1_000,
  maxHistoryScan: 20_000,
  instanceTimeoutMs: 120_000,
  allowedLatenessMs: 600_000,
  maxScanCalls: 100,
  maxFeeders: 10_000,
};

export const AlertsQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('cleared'), Type.Literal('all')], {
      default: 'open',
      description: 'open: the active set; cleared: clear transitions; all: every transition (history)',
    }),
    severity: Type.Optional(SeveritySchema),
    source: Type.Optional(AlertSourceSchema),
    since: Type.Optional(
      Type.String({
        pattern: ISO_INSTANT_PATTERN,
        description: 'ISO-8601 with offset: transitions at or after it (opened_at / cleared_at)',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Alerts per page' }),
    cursor: Type.Optional(
      Type.String({
        pattern: ALERTS_CURSOR_PATTERN,
        description:
          'The next_cursor of the previous page (same status and filters): the page after it. Absent: the first page',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AlertsQuery = Static<typeof AlertsQuery>;

const AlertItem = Type.Object(
  {
    stream_id: Type.Union([Type.String({ pattern: STREAM_ID_PATTERN }), Type.Null()], {
      description: 'History stream id of the transition (SSE event id); null for the active set',
    }),
    transition: Type.Union([Type.Literal('opened'), Type.Literal('cleared')]),
    alert: AlertSchema,
  },
  { additionalProperties: false },
);

export const AlertsResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('cleared'), Type.Literal('all')]),
    count: Type.Integer({ minimum: 0, description: 'Alerts in this page' }),
    total: Type.Integer({
      minimum: 0,
      description:
        'Alerts matching status and filters from this page on (the first page: all of them); for cleared and ' +
        'all counted over the history entries one request reads at most (see total_exact)',
    }),
    total_exact: Type.Boolean({
      description:
        'false when the history scan stopped at its bound before the end of the history: total is then a lower bound',
    }),
    truncated: Type.Boolean({
      description: 'More alerts match than this page holds: fetch the next page with cursor=next_cursor',
    }),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Where the next page starts (pass it as `cursor`); null on the last page',
    }),
    alerts: Type.Array(AlertItem),
  },
  { additionalProperties: false },
);
export type AlertsResponse = Static<typeof AlertsResponse>;

export const StreamQuery = Type.Object(
  {
    lastEventId: Type.Optional(
      Type.String({
        pattern: STREAM_ID_PATTERN,
        description: 'As the Last-Event-ID header (the header wins)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const FeederOverview = Type.Object(
  {
    feeder_id: Type.String(),
    load_kw: Type.Number({ description: 'Average load over the window: Wh × 4 / 1000' }),
    kwh: Type.Number(),
    meters_reported: Type.Integer({ minimum: 0 }),
    meters_total: Nullable(Type.Integer({ minimum: 0 })),
    receipt_rate: Nullable(Type.Number({ description: 'meters_reported / meters_total; null when unknown' })),
    voltage_min: Nullable(Type.Number()),
    voltage_max: Nullable(Type.Number()),
    active_alerts: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const OverviewResponse = Type.Object(
  {
    window_start: Type.String(),
    window_end: Type.String(),
    watermark: Type.String(),
    watermark_source: Type.Union([Type.Literal('alert-engine'), Type.Literal('clock')]),
    roster_date: Nullable(Type.String({ description: 'Published day whose meter_daily gave the feeders' })),
    active_alerts: Type.Integer({ minimum: 0 }),
    unattributed_alerts: Type.Integer({ minimum: 0 }),
    feeders: Type.Array(FeederOverview),
  },
  { additionalProperties: false },
);
export type OverviewResponse = Static<typeof OverviewResponse>;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function requireAlerts(redis: RedisClient, prefix: string | undefined): AlertView {
  if (prefix === undefined) throw dependencyUnavailable('alerts', 'the alert store is not configured');
  return alertViewOf(redis, prefix);
}

// ---- GET /v1/alerts ----

/** Parse: the query's filter (400 naming `since` when it is no instant in the supported range). */
function alertFilter(q: AlertsQuery): AlertFilter {
  const sinceMs = q.since === undefined ? undefined : queryInstant('since', q.since);
  return {
    ...(q.severity !== undefined ? { severity: q.severity } : {}),
    ...(q.source !== undefined ? { source: q.source } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
  };
}

/** Parse: where the page starts (400 naming `cursor` when it is none of ours or pages another status). */
function alertsCursor(q: AlertsQuery): AlertsCursor | undefined {
  if (q.cursor === undefined) return undefined;
  const cursor = decodeCursor(q.cursor);
  if (cursor === undefined)
    throw invalidParameter(
      'querystring',
      'cursor',
      q.cursor,
      formatOfPattern(ALERTS_CURSOR_PATTERN) ?? 'a cursor',
    );
  if (cursor.status !== q.status)
    throw invalidParameter(
      'querystring',
      'cursor',
      q.cursor,
      `a cursor of status=${q.status} (this one pages status=${cursor.status})`,
    );
  return cursor;
}

/** Fetch + format: a page of the active set (status=open), newest opened first. */
async function openAlertsPage(
  alerts: AlertView,
  q: AlertsQuery,
  filter: AlertFilter,
  cursor: AlertsCursor | undefined,
): Promise<AlertsResponse> {
  const after = cursor?.status === 'open' ? cursor.after : undefined;
  const page = await readOpenAlerts(alerts, filter, q.limit, after);
  const last = page.alerts[page.alerts.length - 1];
  const truncated = page.total > page.alerts.length;
  return {
    status: q.status,
    count: page.alerts.length,
    total: page.total,
    total_exact: true,
    truncated,
    next_cursor:
      truncated && last !== undefined
        ? encodeCursor({
            status: 'open',
            after: { openedAtMs: parseIsoInstant(last.opened_at), id: last.id },
          })
        : null,
    alerts: page.alerts.map((alert) => ({ stream_id: null, transition: 'opened' as const, alert })),
  };
}

/**
 * Fetch + format: a page of the history stream (status=cleared|all), newest first. The next page
 * starts after the last alert returned when more match, else after the last entry read when the scan
 * stopped at its bound.
 */
async function historyPage(
  alerts: AlertView,
  q: AlertsQuery,
  filter: AlertFilter,
  cursor: AlertsCursor | undefined,
  maxHistoryScan: number,
): Promise<AlertsResponse> {
  const beforeId = cursor?.status === 'open' ? undefined : cursor?.beforeId;
  const page = await readHistory(alerts, filter, q.status === 'cleared' ? 'cleared' : undefined, {
    limit: q.limit,
    maxScan: maxHistoryScan,
    ...(beforeId !== undefined ? { beforeId } : {}),
  });
  const more = page.matched > page.entries.length;
  const resumeAt = more
    ? page.entries[page.entries.length - 1]?.streamId
    : page.truncated
      ? page.lastReadId
      : undefined;
  const status = q.status === 'cleared' ? 'cleared' : 'all';
  return {
    status: q.status,
    count: page.entries.length,
    total: page.matched,
    total_exact: !page.truncated,
    truncated: more || page.truncated,
    next_cursor: resumeAt === undefined ? null : encodeCursor({ status, beforeId: resumeAt }),
    alerts: page.entries.map((e) => ({ stream_id: e.streamId, transition: e.transition, alert: e.alert })),
  };
}

/** Parse → fetch → format: one page of GET /v1/alerts. */
function listAlerts(alerts: AlertView, q: AlertsQuery, maxHistoryScan: number): Promise<AlertsResponse> {
  const filter = alertFilter(q);
  const cursor = alertsCursor(q);
  return q.status === 'open'
    ? openAlertsPage(alerts, q, filter, cursor)
    : historyPage(alerts, q, filter, cursor, maxHistoryScan);
}

// ---- GET /v1/alerts/stream ----

/** The open SSE streams: how many per key, and each one's stop function (run when the app closes). */
class OpenStreams {
  private readonly perKey = new Map<string, number>();
  private readonly stops = new Set<() => void>();

  constructor(private readonly maxPerKey: number) {}

  /** Counts a new stream of `who`; 429 when it has `maxPerKey` open already. */
  admit(who: string): void {
    const open = this.perKey.get(who) ?? 0;
    if (open >= this.maxPerKey)
      throw new ApiError(429, 'rate_limited', `at most ${this.maxPerKey} concurrent streams per key`, {
        maxStreams: this.maxPerKey,
      });
    this.perKey.set(who, open + 1);
  }

  /** Gives back the slot of a stream of `who`. */
  release(who: string): void {
    const n = (this.perKey.get(who) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(who);
    else this.perKey.set(who, n);
  }

  remember(stop: () => void): void {
    this.stops.add(stop);
  }

  forget(stop: () => void): void {
    this.stops.delete(stop);
  }

  stopAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}

/** Parse: where to resume — the Last-Event-ID header (400 if it is no stream id), else ?lastEventId. */
function lastEventIdOf(req: FastifyRequest<{ Querystring: Static<typeof StreamQuery> }>): string | undefined {
  const header = req.headers['last-event-id'];
  const fromHeader = typeof header === 'string' && header !== '' ? header : undefined;
  if (fromHeader !== undefined && !isStreamId(fromHeader))
    throw invalidParameter(
      'headers',
      'last-event-id',
      fromHeader,
      formatOfPattern(STREAM_ID_PATTERN) ?? 'a history stream id',
    );
  return fromHeader ?? req.query.lastEventId;
}

/**
 * Format: takes the response over from Fastify (the app's handler timeout no longer applies) and
 * writes the event-stream head, keeping the headers set so far (security headers) except the length.
 */
function startEventStream(reply: FastifyReply): ServerResponse {
  const res = reply.raw;
  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders()))
    if (v !== undefined && k.toLowerCase() !== 'content-length') headers[k] = v;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  return res;
}

/**
 * The SSE stream of one caller: parse → admit (per-key limit) → tail the history stream on a
 * dedicated Redis connection until the client goes, the stream fails or the app closes.
 */
function streamHandler(deps: ServingDeps, opts: AlertsRoutesOptions, streams: OpenStreams) {
  // async: a parse/admit error rejects the handler's promise, as in every other route
  return async (req: FastifyRequest<{ Querystring: Static<typeof StreamQuery> }>, reply: FastifyReply) => {
    const alerts = requireAlerts(deps.redis, deps.alertKeyPrefix);
    const lastEventId = lastEventIdOf(req);
    const who = req.apiCaller?.name ?? `ip:${req.ip}`;
    streams.admit(who);

    const conn: RedisClient = duplicateClient(deps.redis);
    conn.on('error', () => undefined);
    const abort = new AbortController();
    const res = reply.raw;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      streams.forget(stop);
      abort.abort();
      conn.disconnect();
      streams.release(who);
      if (!res.writableEnded) res.end();
    };
    streams.remember(stop);
    res.on('close', stop);

    startEventStream(reply);
    streamAlerts(
      alerts.withClient(conn),
      res,
      lastEventId,
      { heartbeatMs: opts.heartbeatMs, maxReplay: opts.maxReplay, batch: 100 },
      abort.signal,
    )
      .catch((err: unknown) => {
        if (!abort.signal.aborted) req.log.warn({ err }, 'alert stream ended by an error');
      })
      .finally(stop);
    return reply;
  };
}

// ---- GET /v1/realtime/overview ----

/** The feeder roster of the newest published day, kept per catalog version. */
class RosterCache {
  private cached: { version: string; roster: FeederRoster } | undefined;

  async get(pinned: PinnedCatalog, pool: DuckDBPool): Promise<FeederRoster> {
    if (pinned.version !== null && this.cached?.version === pinned.version) return this.cached.roster;
    const roster = await readFeederRoster(pinned, pool);
    if (pinned.version !== null) this.cached = { version: pinned.version, roster };
    return roster;
  }
}

/** Format: one feeder's line of the overview. */
function feederLine(w: FeederWindow, activeAlerts: number): OverviewResponse['feeders'][number] {
  return {
    feeder_id: w.feederId,
    load_kw: round3((w.wh * 4) / 1000),
    kwh: round3(w.wh / 1000),
    meters_reported: w.metersReported,
    meters_total: w.metersTotal,
    receipt_rate:
      w.metersTotal === null || w.metersTotal === 0
        ? null
        : Math.round((w.metersReported / w.metersTotal) * 10_000) / 10_000,
    voltage_min: w.voltageMinCv === null ? null : w.voltageMinCv / 100,
    voltage_max: w.voltageMaxCv === null ? null : w.voltageMaxCv / 100,
    active_alerts: activeAlerts,
  };
}

/**
 * The overview: fetch the window the alert engine's watermark closed last and the active alerts;
 * under one pinned catalog the feeders (roster of the newest published day, else a bounded SCAN of
 * the realtime view) and their windows; merge the alerts per feeder; format.
 */
async function realtimeOverview(
  ctx: RouteContext,
  opts: AlertsRoutesOptions,
  rosters: RosterCache,
): Promise<OverviewResponse> {
  const { deps, pool } = ctx;
  const alerts = requireAlerts(deps.redis, deps.alertKeyPrefix);
  const nowMs = deps.now();
  const tz = deps.timeZone;
  const view = new RealtimeView({
    redis: deps.redis,
    keyPrefix: deps.realtimePrefix,
    partitions: deps.partitions,
    timeZone: tz,
  });
  const { watermarkMs, source } = await overviewWatermark(
    alerts,
    nowMs,
    opts.instanceTimeoutMs,
    opts.allowedLatenessMs,
  );
  const window = latestClosedWindow(watermarkMs);
  const active = (await readOpenAlerts(alerts, {}, Number.MAX_SAFE_INTEGER)).alerts;
  return deps.catalog.withPinned(async (pinned) => {
    const roster = await rosters.get(pinned, pool);
    const feederIds =
      roster.date === null
        ? await scanRealtimeFeeders(view, localDate(window.startMs, tz), opts.maxScanCalls, opts.maxFeeders)
        : [...roster.metersByFeeder.keys()].sort();
    const meterIds = [...new Set(active.filter((a) => a.entity_type === 'meter').map((a) => a.entity_id))];
    const [windows, feederOfMeter] = await Promise.all([
      readFeederWindows(view, feederIds, window.startMs, roster.metersByFeeder),
      feedersOfMeters(pinned, pool, meterIds.slice(0, 1000)),
    ]);
    const counts = countAlertsByFeeder(active, roster.feederOfTransformer, feederOfMeter);
    return {
      window_start: formatIsoOffset(window.startMs, tz),
      window_end: formatIsoOffset(window.endMs, tz),
      watermark: formatIsoOffset(watermarkMs, tz),
      watermark_source: source,
      roster_date: roster.date,
      active_alerts: active.length,
      unattributed_alerts: counts.unattributed,
      feeders: windows.map((w) => feederLine(w, counts.byFeeder.get(w.feederId) ?? 0)),
    };
  });
}

// ---- the route module ----

const LIST_SCHEMA = {
  tags: ['alerts'],
  summary: 'Open alerts or alert history',
  description:
    'status=open lists the active set (newest opened first); cleared and all read the history ' +
    'stream newest first. `since` filters by opened_at / cleared_at. Paging: a page holds at most ' +
    '`limit` (≤ 1000) alerts; `total` counts those matching from the page on and `truncated` is true ' +
    'when more match than the page holds — then ask again with the same parameters plus ' +
    '`cursor=<next_cursor>` until `next_cursor` is null. For cleared and all, one request reads at ' +
    'most a bounded number of history entries: `total_exact` false means total is a lower bound and ' +
    'next_cursor continues the scan.',
  querystring: AlertsQuery,
  response: { 200: AlertsResponse },
};

function streamSchema(opts: AlertsRoutesOptions) {
  return {
    tags: ['alerts'],
    summary: 'Server-sent events of alert transitions',
    description:
      'text/event-stream: `id:` = history stream id, `event:` = opened | cleared, `data:` = the alert ' +
      'JSON. Reconnect with the Last-Event-ID header (or ?lastEventId=) to replay what was missed ' +
      `(at most ${opts.maxReplay} entries, the newest). A \`: heartbeat\` comment every ` +
      `${opts.heartbeatMs / 1000} s without events. At most ${opts.maxStreamsPerKey} streams per key (429).`,
    querystring: StreamQuery,
    response: {
      200: {
        description: 'Event stream (never ends by itself)',
        content: { 'text/event-stream': { schema: Type.String() } },
      },
      429: errorResponse('Too many concurrent streams for this key'),
    },
  };
}

const OVERVIEW_SCHEMA = {
  tags: ['alerts'],
  summary: 'Latest closed 15-minute window per feeder (provisional)',
  description:
    "The window ending at or before the alert engine's shared watermark (or now − allowed lateness " +
    "when no engine reports): load kW (Wh × 4 / 1000), receipt rate against the feeder's meters on " +
    'the newest published day, voltage min/max and the active alerts per feeder.',
  response: { 200: OverviewResponse },
};

export function createAlertsRoutes(options: Partial<AlertsRoutesOptions> = {}): RouteModule {
  const opts: AlertsRoutesOptions = { ...DEFAULT_ALERTS_ROUTES_OPTIONS, ...options };
  return (fastify, ctx: RouteContext) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const { deps } = ctx;
    const streams = new OpenStreams(opts.maxStreamsPerKey);
    const rosters = new RosterCache();
    app.addHook('preClose', () => {
      streams.stopAll();
      return Promise.resolve();
    });

    app.get(
      '/v1/alerts',
      { preHandler: ctx.authorize(['dashboard', 'operator']), schema: LIST_SCHEMA },
      (req) => listAlerts(requireAlerts(deps.redis, deps.alertKeyPrefix), req.query, opts.maxHistoryScan),
    );
    app.get(
      '/v1/alerts/stream',
      { preHandler: ctx.authorize(['dashboard', 'operator']), schema: streamSchema(opts) },
      streamHandler(deps, opts, streams),
    );
    app.get(
      '/v1/realtime/overview',
      { preHandler: ctx.authorize(['dashboard']), schema: OVERVIEW_SCHEMA },
      () => realtimeOverview(ctx, opts, rosters),
    );
    return Promise.resolve();
  };
}

/** The alert routes with default options (heartbeat 15 s, 5 streams per key, replay ≤ 1000). */
export const alertsRoutes: RouteModule = createAlertsRoutes();
