/**
 * The analytics aggregate request (SPEC 6, `GET /v1/analytics/aggregate`): its TypeBox query schema
 * and the checks beyond the schema (pure): which filters a grouping admits, which metrics it can
 * answer, and the size limit on buckets × groups.
 *
 * Groupings: region, substation, feeder come from the grid views (grid_15m / realtime grid windows);
 * segment and tariff from the meter views joined with meter_daily attribution. Filters narrow the
 * set of groups: region and feeder are grid entities (a filter finer than the grouping is refused,
 * e.g. groupBy=region&feeder=F1), segment and tariff exist only in the meter attribution, so they
 * apply to groupBy=segment|tariff only (the grid aggregates are not split by segment or tariff).
 * voltage_avg needs the grid views (the meter views carry no voltage).
 */
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '@ami/shared/contracts';
import { STEPS, formatIsoUtc, type Step } from '@ami/shared/time';
import { badRequest, invalidParameter } from '../errors.ts';
import { ISO_INSTANT_PATTERN } from '../formats.ts';

export const METRICS = ['energy_kwh', 'meters_reported', 'receipt_rate', 'voltage_avg'] as const;
export type Metric = (typeof METRICS)[number];
export const GROUP_BYS = ['region', 'feeder', 'substation', 'segment', 'tariff'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const SEGMENTS = ['residential', 'commercial', 'industrial'] as const;
export const TARIFFS = ['flat', 'tou'] as const;
export const FORMATS = ['json', 'csv', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];

/** Most cells (buckets × groups) one request may produce. */
export const MAX_CELLS = 100_000;
/**
 * Longest range, in days, for groupBy segment|tariff: they aggregate interval rows of every meter
 * (intervals_validated ⋈ meter_daily), so their cost grows with fleet × days, not with the cells.
 */
export const MAX_METER_VIEW_DAYS = 92;

const lits = <T extends string>(xs: readonly T[], description?: string) =>
  Type.Union(
    xs.map((x) => Type.Literal(x)),
    description === undefined ? {} : { description },
  );

export const AggregateQuery = Type.Object(
  {
    metric: lits(METRICS),
    groupBy: lits(GROUP_BYS),
    step: lits(STEPS, '15m and 1h: UTC windows; 1d and 1mo: local days and months (AMI_TIMEZONE)'),
    from: Type.String({
      pattern: ISO_INSTANT_PATTERN,
      description: 'start, inclusive: ISO-8601 with offset',
    }),
    to: Type.String({ pattern: ISO_INSTANT_PATTERN, description: 'end, exclusive: ISO-8601 with offset' }),
    region: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    feeder: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    segment: Type.Optional(lits(SEGMENTS)),
    tariff: Type.Optional(lits(TARIFFS)),
    format: Type.Optional(lits(FORMATS, 'json (default), csv, or Arrow IPC stream')),
  },
  { additionalProperties: false },
);
export type AggregateQuery = Static<typeof AggregateQuery>;

export interface Filters {
  readonly region?: string;
  readonly feeder?: string;
  readonly segment?: string;
  readonly tariff?: string;
}

export const GRID_GROUPS = ['region', 'substation', 'feeder'] as const;
export type GridGroup = (typeof GRID_GROUPS)[number];
export const isGridGroup = (g: GroupBy): g is GridGroup => (GRID_GROUPS as readonly string[]).includes(g);

/** Grid hierarchy, coarse to fine: a filter on a level finer than the grouping is refused. */
const RANK: Readonly<Record<string, number>> = { region: 0, substation: 1, feeder: 2 };

/** Filters of the query (only those given). */
export function filtersOf(q: AggregateQuery): Filters {
  return {
    ...(q.region !== undefined ? { region: q.region } : {}),
    ...(q.feeder !== undefined ? { feeder: q.feeder } : {}),
    ...(q.segment !== undefined ? { segment: q.segment } : {}),
    ...(q.tariff !== undefined ? { tariff: q.tariff } : {}),
  };
}

/** Checks the combination of metric, grouping and filters (400 naming the parameter and the rule). */
export function checkCombination(metric: Metric, groupBy: GroupBy, f: Filters): void {
  if (isGridGroup(groupBy)) {
    for (const k of ['segment', 'tariff'] as const) {
      if (f[k] !== undefined)
        throw invalidParameter(
          'querystring',
          k,
          f[k],
          {
            phrase: `applies to groupBy=segment|tariff only: the grid aggregates are not split by ${k}`,
            allowed: 'groupBy=segment|tariff',
          },
          { filter: k, groupBy },
        );
    }
    if (f.feeder !== undefined && RANK.feeder! > RANK[groupBy]!)
      throw invalidParameter(
        'querystring',
        'feeder',
        f.feeder,
        {
          phrase: `is finer than groupBy=${groupBy}: use groupBy=feeder, or leave "feeder" out`,
          allowed: 'groupBy=feeder',
        },
        { filter: 'feeder', groupBy },
      );
  } else if (metric === 'voltage_avg') {
    throw invalidParameter(
      'querystring',
      'metric',
      metric,
      {
        phrase: `voltage_avg needs the grid views: with groupBy=${groupBy} use energy_kwh, meters_reported or receipt_rate`,
        allowed: 'energy_kwh|meters_reported|receipt_rate with groupBy=segment|tariff',
      },
      { metric, groupBy },
    );
  }
}

/** 400 when the buckets × groups of a request exceed MAX_CELLS. */
export function checkCells(buckets: number, groups: number): void {
  if (buckets * groups > MAX_CELLS)
    throw badRequest(
      `too many cells: ${buckets} buckets × ${groups} groups = ${buckets * groups} > MAX_CELLS ${MAX_CELLS}; ` +
        'narrow the range, coarsen the step or add filters',
      { limit: 'MAX_CELLS', max: MAX_CELLS, buckets, groups },
    );
}

/** 400 when a segment/tariff request spans more than MAX_METER_VIEW_DAYS. */
export function checkMeterViewRange(groupBy: GroupBy, step: Step, fromMs: number, toMs: number): void {
  if (isGridGroup(groupBy)) return;
  const days = (toMs - fromMs) / 86_400_000;
  if (days > MAX_METER_VIEW_DAYS)
    throw invalidParameter(
      'querystring',
      'to',
      formatIsoUtc(toMs),
      `at most ${MAX_METER_VIEW_DAYS} days after "from" with groupBy=${groupBy} (MAX_METER_VIEW_DAYS)`,
      { limit: 'MAX_METER_VIEW_DAYS', max: MAX_METER_VIEW_DAYS, step, days: Math.round(days * 100) / 100 },
    );
}
