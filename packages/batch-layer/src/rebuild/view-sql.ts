/**
 * SQL of the batch views (SPEC 5), over the temp tables a day rebuild stages in DuckDB:
 *   latest       deduplicated reads of the day (dedupe.ts)
 *   day_meters   one row per meter of the day: ordinal m, attribution, meter_daily figures (from JS)
 *   exc          VEE exceptions (m, slot, wh, q, method, reason, original_wh, edit_id) (from JS)
 * Codes → names come from the TypeScript tables (codes.ts), so the views and VEE cannot disagree.
 * Instants are computed from the slot number (first slot + 15 min × slot) in epoch ms, and hourly
 * windows are UTC hours (floor to 3,600,000 ms), as in @ami/shared/time (SPEC 3.5).
 * Every SELECT has a total ORDER BY, so the same inputs give the same rows in the same order, and no
 * aggregate sums floating-point values (whose parallel summation order would change the last bits):
 * voltage averages are sums of integer decivolts.
 */
import { INTERVAL_MS } from '@ami/shared/time';
import { METHODS, QUALITY_CLASSES, VEE_REASONS } from '../vee/codes.ts';

const list = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
const q = `${list(QUALITY_CLASSES)}[iv.q + 1]`;
const method = `${list(METHODS)}[iv.method + 1]`;
const reason = `${list(VEE_REASONS)}[iv.reason + 1]`;

/** interval_start of slot `slotExpr` as TIMESTAMPTZ. */
const slotTs = (firstSlotMs: number, slotExpr: string) =>
  `make_timestamptz((${firstSlotMs}::BIGINT + ${slotExpr}::BIGINT * ${INTERVAL_MS}) * 1000)`;

/** Creates temp table iv: every (meter, slot) of the day with its validated value. */
export function createValidatedIntervalsSql(firstSlotMs: number): string {
  return `CREATE OR REPLACE TEMP TABLE iv AS
WITH reads AS (
  SELECT i.m, ((epoch_ms(l.interval_start) - ${firstSlotMs}) // ${INTERVAL_MS})::INTEGER AS slot,
         l.consumption_wh AS wh, l.voltage_v
  FROM latest l JOIN day_meters i USING (meter_id)
  WHERE l.read_type = 'INTERVAL' AND (epoch_ms(l.interval_start) - ${firstSlotMs}) % ${INTERVAL_MS} = 0
)
SELECT r.m, r.slot, r.wh, 0::UTINYINT AS q, 0::UTINYINT AS method, 0::UTINYINT AS reason,
       r.wh AS original_wh, NULL::VARCHAR AS edit_id, r.voltage_v
FROM reads r ANTI JOIN exc e ON r.m = e.m AND r.slot = e.slot
UNION ALL
SELECT e.m, e.slot, e.wh, e.q, e.method, e.reason, e.original_wh, e.edit_id, NULL::DOUBLE FROM exc e`;
}

export function intervalsValidatedSql(firstSlotMs: number): string {
  return `SELECT d.meter_id, d.service_point_id, ${slotTs(firstSlotMs, 'iv.slot')} AS interval_start, iv.wh,
  ${q} AS quality, ${method} AS method, ${reason} AS reason, iv.original_wh, iv.edit_id
FROM iv JOIN day_meters d USING (m) ORDER BY iv.m, iv.slot`;
}

const counts = `count(*)::INTEGER AS slots, count_if(iv.q = 0)::INTEGER AS actual, count_if(iv.q = 1)::INTEGER AS estimated,
  count_if(iv.q = 2)::INTEGER AS edited, count_if(iv.q = 3)::INTEGER AS missing, count_if(iv.q = 4)::INTEGER AS outage`;

export function meterHourlySql(firstSlotMs: number): string {
  // Aggregate on integer keys (meter ordinal, hour), then attach the names: hashing strings for
  // 9.6 M rows costs more than the join of 2.4 M results.
  const hourMs = `((${firstSlotMs}::BIGINT + slot::BIGINT * ${INTERVAL_MS}) // 3600000) * 3600000`;
  const hourCounts = counts.replaceAll('iv.', '');
  return `SELECT d.meter_id, d.service_point_id, make_timestamptz(h.hour_ms * 1000) AS hour_start, h.wh, h.slots,
  h.actual, h.estimated, h.edited, h.missing, h.outage
FROM (SELECT m, ${hourMs} AS hour_ms, sum(wh)::BIGINT AS wh, ${hourCounts} FROM iv GROUP BY m, hour_ms) h
JOIN day_meters d USING (m) WHERE d.known ORDER BY h.m, h.hour_ms`;
}

export const METER_DAILY_SQL = `SELECT meter_id, service_point_id, customer_id, transformer_id, feeder_id, substation_id, region,
  segment, tariff, wh, slots, actual, estimated, edited, missing, outage, peak_wh, off_peak_wh, flat_wh,
  max_interval_wh, max_interval_start, sum_check
FROM day_meters WHERE known ORDER BY m`;

const GRID_LEVELS = [
  ['transformer', 'transformer_id'],
  ['feeder', 'feeder_id'],
  ['substation', 'substation_id'],
  ['region', 'region'],
] as const;

/**
 * Grid attribution as integer keys: temp table grid_keys (level, k, entity_id) and ivg (validated
 * intervals of known meters with the four entity keys), so the grid aggregations hash integers.
 */
export const CREATE_GRID_INPUT_SQL = [
  `CREATE OR REPLACE TEMP TABLE grid_meters AS SELECT m,
  dense_rank() OVER (ORDER BY transformer_id)::INTEGER AS transformer_k, dense_rank() OVER (ORDER BY feeder_id)::INTEGER AS feeder_k,
  dense_rank() OVER (ORDER BY substation_id)::INTEGER AS substation_k, dense_rank() OVER (ORDER BY region)::INTEGER AS region_k,
  transformer_id, feeder_id, substation_id, region
FROM day_meters WHERE known`,
  `CREATE OR REPLACE TEMP TABLE grid_keys AS
${GRID_LEVELS.map(([level, col]) => `SELECT DISTINCT '${level}' AS level, ${level}_k AS k, ${col} AS entity_id FROM grid_meters`).join('\nUNION ALL\n')}`,
  `CREATE OR REPLACE TEMP TABLE ivg AS
SELECT g.transformer_k, g.feeder_k, g.substation_k, g.region_k, iv.slot, iv.wh, iv.q,
       iv.original_wh IS NOT NULL AS reported, CASE WHEN iv.q = 0 THEN iv.voltage_v END AS v
FROM iv JOIN grid_meters g USING (m)`,
];

export function grid15mSql(firstSlotMs: number): string {
  const parts = GRID_LEVELS.map(
    ([level]) => `SELECT '${level}' AS level, ${level}_k AS k, slot, sum(wh)::BIGINT AS wh,
  count(*)::INTEGER AS meters_total, count_if(reported)::INTEGER AS meters_reported,
  count_if(q = 1)::INTEGER AS estimated, count_if(q = 2)::INTEGER AS edited, count_if(q = 3)::INTEGER AS missing,
  count_if(q = 4)::INTEGER AS outage, round(sum(round(v * 10)::BIGINT) / count(v) / 10, 2) AS voltage_avg,
  min(v) AS voltage_min, max(v) AS voltage_max
FROM ivg GROUP BY ${level}_k, slot`,
  );
  return `SELECT g.level, n.entity_id, ${slotTs(firstSlotMs, 'g.slot')} AS interval_start, g.wh, g.meters_total,
  g.meters_reported, g.estimated, g.edited, g.missing, g.outage, g.voltage_avg, g.voltage_min, g.voltage_max
FROM (${parts.join('\nUNION ALL\n')}) g JOIN grid_keys n USING (level, k) ORDER BY g.level, n.entity_id, g.slot`;
}

export function gridDailySql(): string {
  const parts = GRID_LEVELS.map(
    ([level]) => `SELECT '${level}' AS level, ${level}_k AS k, sum(wh)::BIGINT AS wh,
  count(*)::INTEGER AS intervals, count_if(q = 0)::INTEGER AS actual, count_if(q = 1)::INTEGER AS estimated,
  count_if(q = 2)::INTEGER AS edited, count_if(q = 3)::INTEGER AS missing, count_if(q = 4)::INTEGER AS outage,
  min(v) AS voltage_min, max(v) AS voltage_max
FROM ivg GROUP BY ${level}_k`,
  );
  const meters = GRID_LEVELS.map(
    ([level]) =>
      `SELECT '${level}' AS level, ${level}_k AS k, count(*)::INTEGER AS meters_total FROM grid_meters GROUP BY ${level}_k`,
  );
  return `SELECT g.level, n.entity_id, g.wh, c.meters_total, g.intervals, g.actual, g.estimated, g.edited, g.missing,
  g.outage, g.voltage_min, g.voltage_max
FROM (${parts.join('\nUNION ALL\n')}) g JOIN (${meters.join(' UNION ALL ')}) c USING (level, k)
JOIN grid_keys n USING (level, k) ORDER BY g.level, n.entity_id`;
}

/** meter_monthly over `month_daily` (meter_daily rows of the month's days, with column `date`). */
export const METER_MONTHLY_SQL = `SELECT meter_id, service_point_id, sum(wh)::BIGINT AS wh, count(DISTINCT date)::INTEGER AS days,
  sum(slots)::INTEGER AS slots, sum(actual)::INTEGER AS actual, sum(estimated)::INTEGER AS estimated,
  sum(edited)::INTEGER AS edited, sum(missing)::INTEGER AS missing, sum(outage)::INTEGER AS outage
FROM month_daily GROUP BY meter_id, service_point_id ORDER BY meter_id, service_point_id`;

/** Billing determinants before the quality gate (temp table billing_pre over month_daily). */
export const CREATE_BILLING_PRE_SQL = `CREATE OR REPLACE TEMP TABLE billing_pre AS
WITH peak AS (SELECT service_point_id, max(max_interval_wh) AS mx FROM month_daily GROUP BY service_point_id)
SELECT md.service_point_id,
  arg_max(md.customer_id, md.date::VARCHAR || md.meter_id) AS customer_id,
  arg_max(md.tariff, md.date::VARCHAR || md.meter_id) AS tariff,
  sum(md.wh)::BIGINT AS total_wh, sum(md.peak_wh)::BIGINT AS peak_wh, sum(md.off_peak_wh)::BIGINT AS off_peak_wh,
  sum(md.flat_wh)::BIGINT AS flat_wh, (max(md.max_interval_wh) * 4)::BIGINT AS max_demand_w,
  min(md.max_interval_start) FILTER (WHERE md.max_interval_wh = p.mx AND md.max_interval_start IS NOT NULL) AS max_demand_at,
  sum(md.slots)::INTEGER AS intervals, sum(md.estimated)::INTEGER AS estimated, sum(md.edited)::INTEGER AS edited,
  sum(md.missing)::INTEGER AS missing, sum(md.outage)::INTEGER AS outage, count(DISTINCT md.date)::INTEGER AS days
FROM month_daily md JOIN peak p USING (service_point_id) GROUP BY md.service_point_id`;

export function billingDeterminantsSql(daysInPeriod: number): string {
  return `SELECT b.service_point_id, b.customer_id, b.tariff, b.total_wh, b.peak_wh, b.off_peak_wh, b.flat_wh,
  b.max_demand_w, b.max_demand_at, b.intervals, b.estimated, b.edited, b.missing, b.outage, b.days,
  ${daysInPeriod}::INTEGER AS days_in_period, b.days = ${daysInPeriod} AS complete, h.hold, h.hold_reason
FROM billing_pre b JOIN billing_gate h USING (service_point_id) ORDER BY b.service_point_id`;
}
