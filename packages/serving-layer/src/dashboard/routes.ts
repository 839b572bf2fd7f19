/**
 * The web dashboard (SPEC 7) served by the API:
 *
 *   GET /dashboard                      public   the page (HTML; no data in it)
 *   GET /dashboard/assets/{file}        public   its stylesheet and ES modules
 *   GET /v1/realtime/voltage?feeder&windows   dashboard, operator, analyst
 *       voltage of each transformer of a feeder over the latest closed 15-minute windows (heat map)
 *
 * The page and its assets are not API operations (hidden from OpenAPI, like /docs). The page reads
 * every figure from the JSON API with the key the user gives it (x-api-key header), so helmet's CSP
 * (`default-src 'self'`) holds: no inline script or style, nothing loaded from elsewhere.
 *
 * The voltage route ends at the same window as /v1/realtime/overview (the alert engine's shared
 * watermark, or now − allowed lateness when no engine reports or no alert store is configured) and
 * takes a feeder's transformers from the newest published day's meter_daily (empty, with
 * `roster_date: null`, until a day is published).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ID_PATTERN } from '@ami/shared/contracts';
import { loadAlertRules, type AlertRuleParams } from '@ami/shared/domain';
import { INTERVAL_MS, formatIsoOffset } from '@ami/shared/time';
import { RealtimeView } from '@ami/speed-layer/realtime-view';
import { alertViewOf } from '../alerts/alert-reader.ts';
import {
  latestClosedWindow,
  overviewWatermark,
  readFeederRoster,
  type FeederRoster,
  type WatermarkSource,
} from '../alerts/overview.ts';
import { notFound } from '../errors.ts';
import { ASSET_FILE_PATTERN } from '../formats.ts';
import { DEFAULT_ALERTS_ROUTES_OPTIONS } from '../routes/alerts.ts';
import type { RouteContext, RouteModule } from '../routes/context.ts';
import { loadAssets } from './static.ts';
import { readTransformerVoltages, transformersOfFeeder, windowStarts } from './voltage.ts';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_ASSETS_PREFIX = '/dashboard/assets/';
export const MAX_VOLTAGE_WINDOWS = 96;

export interface DashboardRoutesOptions {
  /** Voltage limits shown on the heat map (default: AMI_ALERT_* from the environment at registration). */
  readonly alertRules?: AlertRuleParams;
  /** Assets directory (default src/dashboard/assets). */
  readonly assetsDir?: string;
  /** AMI_ALERT_INSTANCE_TIMEOUT_S and AMI_SPEED_ALLOWED_LATENESS_S, ms (as the overview route). */
  readonly instanceTimeoutMs?: number;
  readonly allowedLatenessMs?: number;
}

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const VoltageQuery = Type.Object(
  {
    feeder: Type.String({ pattern: ID_PATTERN, description: 'Feeder id, e.g. FDR-001' }),
    windows: Type.Integer({
      minimum: 1,
      maximum: MAX_VOLTAGE_WINDOWS,
      default: 16,
      description: 'How many 15-minute windows, ending with the latest closed one',
    }),
  },
  { additionalProperties: false },
);
export type VoltageQuery = Static<typeof VoltageQuery>;

const VoltageCellSchema = Type.Object(
  {
    avg: Nullable(Type.Number({ description: 'Average voltage of the reads in the window (V)' })),
    min: Nullable(Type.Number()),
    max: Nullable(Type.Number()),
    meters_reported: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const VoltageResponse = Type.Object(
  {
    feeder_id: Type.String(),
    time_zone: Type.String({ description: 'AMI_TIMEZONE: the zone of the local times in this answer' }),
    watermark: Type.String(),
    watermark_source: Type.Union([Type.Literal('alert-engine'), Type.Literal('clock')]),
    roster_date: Nullable(
      Type.String({ description: "Published day whose meter_daily gave the feeder's transformers" }),
    ),
    limits: Type.Object(
      {
        low_v: Type.Number({ description: 'LOW_VOLTAGE below this (AMI_ALERT_LOW_VOLTAGE_V)' }),
        high_v: Type.Number({ description: 'HIGH_VOLTAGE above this (AMI_ALERT_HIGH_VOLTAGE_V)' }),
      },
      { additionalProperties: false },
    ),
    windows: Type.Array(
      Type.Object({ start: Type.String(), end: Type.String() }, { additionalProperties: false }),
      { description: 'Oldest first; the last one is the latest closed window' },
    ),
    transformers: Type.Array(
      Type.Object(
        {
          transformer_id: Type.String(),
          cells: Type.Array(VoltageCellSchema, { description: 'One per window, in the same order' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type VoltageResponse = Static<typeof VoltageResponse>;

// Long on purpose: Fastify route registration of the dashboard's routes and schemas (one roster cache).
export function createDashboardRoutes(options: DashboardRoutesOptions = {}): RouteModule {
  return (fastify, ctx: RouteContext) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const { deps, pool } = ctx;
    const rules = options.alertRules ?? loadAlertRules();
    const instanceTimeoutMs = options.instanceTimeoutMs ?? DEFAULT_ALERTS_ROUTES_OPTIONS.instanceTimeoutMs;
    const allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALERTS_ROUTES_OPTIONS.allowedLatenessMs;
    const assets = loadAssets(options.assetsDir);
    const page = assets.get('index.html');
    if (page === undefined) throw new Error('dashboard assets: index.html is missing');
    let rosterCache: { version: string; roster: FeederRoster } | undefined;

    app.get(DASHBOARD_PATH, { schema: { hide: true } }, (_req, reply) =>
      reply.type(page.contentType).header('cache-control', 'no-cache').send(page.body),
    );

    app.get(
      `${DASHBOARD_ASSETS_PREFIX}:file`,
      {
        schema: {
          hide: true,
          params: Type.Object(
            { file: Type.String({ pattern: ASSET_FILE_PATTERN, maxLength: 64 }) },
            { additionalProperties: false },
          ),
        },
      },
      (req, reply) => {
        const asset = assets.get(req.params.file);
        if (asset === undefined) throw notFound(`no dashboard asset ${req.params.file}`);
        return reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body);
      },
    );

    app.get(
      '/v1/realtime/voltage',
      {
        preHandler: ctx.authorize(['dashboard', 'operator', 'analyst']),
        schema: {
          tags: ['alerts'],
          summary: 'Voltage of each transformer of a feeder over the latest closed windows (provisional)',
          description:
            'One cell per transformer and 15-minute window from the realtime view: average, minimum and ' +
            'maximum voltage of the reads received and how many meters reported (null voltages: no read). ' +
            'The last window is the one /v1/realtime/overview shows; transformers come from the newest ' +
            'published day (none before a day is published).',
          querystring: VoltageQuery,
          response: { 200: VoltageResponse },
        },
      },
      async (req) => {
        const { feeder, windows: count } = req.query;
        const tz = deps.timeZone;
        const nowMs = deps.now();
        const { watermarkMs, source } =
          deps.alertKeyPrefix === undefined
            ? { watermarkMs: nowMs - allowedLatenessMs, source: 'clock' as WatermarkSource }
            : await overviewWatermark(
                alertViewOf(deps.redis, deps.alertKeyPrefix),
                nowMs,
                instanceTimeoutMs,
                allowedLatenessMs,
              );
        const starts = windowStarts(latestClosedWindow(watermarkMs).startMs, count);
        const roster = await deps.catalog.withPinned(async (pinned) => {
          if (pinned.version !== null && rosterCache?.version === pinned.version) return rosterCache.roster;
          const fresh = await readFeederRoster(pinned, pool);
          if (pinned.version !== null) rosterCache = { version: pinned.version, roster: fresh };
          return fresh;
        });
        const transformers = await readTransformerVoltages(
          new RealtimeView({
            redis: deps.redis,
            keyPrefix: deps.realtimePrefix,
            partitions: deps.partitions,
            timeZone: tz,
          }),
          transformersOfFeeder(roster.feederOfTransformer, feeder),
          starts,
        );
        return {
          feeder_id: feeder,
          time_zone: tz,
          watermark: formatIsoOffset(watermarkMs, tz),
          watermark_source: source,
          roster_date: roster.date,
          limits: { low_v: rules.lowVoltageV, high_v: rules.highVoltageV },
          windows: starts.map((s) => ({
            start: formatIsoOffset(s, tz),
            end: formatIsoOffset(s + INTERVAL_MS, tz),
          })),
          transformers,
        };
      },
    );
    return Promise.resolve();
  };
}

/** The dashboard routes with the alert rules of the environment. */
export const dashboardRoutes: RouteModule = createDashboardRoutes();
