/**
 * GET /v1/realtime/overview data: the latest closed 15-minute window per feeder from the realtime
 * view, with its load, read receipt rate, voltage extremes and the feeder's active alerts.
 *
 *  - Watermark: the alert engine's shared one — the minimum of the engine instances' watermark
 *    reports made within `instanceTimeoutMs` (AMI_ALERT_INSTANCE_TIMEOUT_S, as the engine counts
 *    them; `AlertView.sharedWatermark`); when no instance reported recently, `now − allowedLatenessMs`
 *    (AMI_SPEED_ALLOWED_LATENESS_S, default 10 min).
 *    The latest closed window is the 15-minute window ending at or before it.
 *  - Feeders, their meters and the transformer → feeder map: the batch view `meter_daily` of the
 *    newest published day (one row per meter with its attribution), read once per catalog version.
 *    Receipt rate = meters reported / that day's meters of the feeder. Without a published day the
 *    feeders are those with realtime data on the window's day (`RealtimeView.scanEntityIds`, a
 *    bounded scan), receipt rate is null and alerts are not attributed.
 *  - Feeder windows: `RealtimeView.gridWindowsAt` (summed over the partitions by the speed layer).
 *  - Active alerts: transformer alerts count for the feeder of the transformer, meter alerts for
 *    the feeder of the meter (looked up in the same meter_daily), feeder alerts for the feeder;
 *    the rest (substation, region, unknown entities) are `unattributed`.
 */
import { sqlPath, type DuckDBConnection } from '@ami/shared/clients';
import type { Alert } from '@ami/shared/contracts';
import type { PinnedCatalog } from '@ami/shared/catalog';
import { INTERVAL_MS } from '@ami/shared/time';
import type { AlertView, RealtimeView } from '@ami/speed-layer/realtime-view';
import type { DuckDBPool } from '../sources/duckdb-pool.ts';

export type WatermarkSource = 'alert-engine' | 'clock';

/** The shared alert watermark (module comment) and where it came from. */
export async function overviewWatermark(
  alerts: AlertView,
  nowMs: number,
  instanceTimeoutMs: number,
  allowedLatenessMs: number,
): Promise<{ watermarkMs: number; source: WatermarkSource }> {
  const shared = await alerts.sharedWatermark(nowMs, instanceTimeoutMs);
  if (shared !== undefined) return { watermarkMs: shared, source: 'alert-engine' };
  return { watermarkMs: nowMs - allowedLatenessMs, source: 'clock' };
}

/** The latest 15-minute window ending at or before `watermarkMs`. */
export function latestClosedWindow(watermarkMs: number): { startMs: number; endMs: number } {
  const endMs = Math.floor(watermarkMs / INTERVAL_MS) * INTERVAL_MS;
  return { startMs: endMs - INTERVAL_MS, endMs };
}

/** Feeders of a published day: meters per feeder and the feeder of each transformer. */
export interface FeederRoster {
  /** Local date of the meter_daily partition used, or null (no published day). */
  readonly date: string | null;
  readonly metersByFeeder: ReadonlyMap<string, number>;
  readonly feederOfTransformer: ReadonlyMap<string, string>;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));

async function rows(pool: DuckDBPool, sql: string, params: string[]): Promise<Record<string, unknown>[]> {
  return pool.use(async (c: DuckDBConnection) => (await c.runAndReadAll(sql, params)).getRowObjects());
}

/** Local paths of the newest meter_daily partition of the pin (undefined = none published). */
async function newestMeterDaily(
  pinned: PinnedCatalog,
): Promise<{ date: string; paths: string[] } | undefined> {
  const parts = pinned.partitions('meter_daily');
  const last = parts[parts.length - 1];
  if (last === undefined) return undefined;
  const files = await pinned.localFiles('meter_daily', [last]);
  if (files.paths.length === 0) return undefined;
  return { date: last.replace(/^date=/, ''), paths: [...files.paths] };
}

const parquet = (paths: readonly string[]) =>
  `read_parquet([${paths.map(sqlPath).join(', ')}], hive_partitioning = false)`;

export async function readFeederRoster(pinned: PinnedCatalog, pool: DuckDBPool): Promise<FeederRoster> {
  const day = await newestMeterDaily(pinned);
  if (day === undefined) return { date: null, metersByFeeder: new Map(), feederOfTransformer: new Map() };
  const out = await rows(
    pool,
    `SELECT feeder_id, transformer_id, count(DISTINCT meter_id) AS meters FROM ${parquet(day.paths)}
     WHERE feeder_id IS NOT NULL GROUP BY feeder_id, transformer_id`,
    [],
  );
  const metersByFeeder = new Map<string, number>();
  const feederOfTransformer = new Map<string, string>();
  for (const r of out) {
    const f = String(r.feeder_id);
    metersByFeeder.set(f, (metersByFeeder.get(f) ?? 0) + num(r.meters));
    if (typeof r.transformer_id === 'string') feederOfTransformer.set(r.transformer_id, f);
  }
  return { date: day.date, metersByFeeder, feederOfTransformer };
}

/** Feeder of each of `meterIds` on the newest published day (parameterised lookup). */
export async function feedersOfMeters(
  pinned: PinnedCatalog,
  pool: DuckDBPool,
  meterIds: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (meterIds.length === 0) return found;
  const day = await newestMeterDaily(pinned);
  if (day === undefined) return found;
  const placeholders = meterIds.map((_, i) => `$${i + 1}`).join(', ');
  const out = await rows(
    pool,
    `SELECT meter_id, any_value(feeder_id) AS feeder_id FROM ${parquet(day.paths)}
     WHERE meter_id IN (${placeholders}) AND feeder_id IS NOT NULL GROUP BY meter_id`,
    [...meterIds],
  );
  for (const r of out) found.set(String(r.meter_id), String(r.feeder_id));
  return found;
}

/**
 * Feeder ids with realtime data on local date `date` (fallback when no day is published): at most
 * `maxCalls` scan calls per partition and node and `maxFeeders` ids in all.
 */
export function scanRealtimeFeeders(
  view: RealtimeView,
  date: string,
  maxCalls: number,
  maxFeeders: number,
): Promise<string[]> {
  return view.scanEntityIds('feeder', date, { maxCalls, maxIds: maxFeeders });
}

export interface FeederWindow {
  readonly feederId: string;
  readonly wh: number;
  readonly metersReported: number;
  readonly metersTotal: number | null;
  readonly voltageMinCv: number | null;
  readonly voltageMaxCv: number | null;
}

/** Each feeder's realtime window starting at `startMs` (summed over partitions). */
export async function readFeederWindows(
  view: RealtimeView,
  feederIds: readonly string[],
  startMs: number,
  metersByFeeder: ReadonlyMap<string, number>,
): Promise<FeederWindow[]> {
  const windows = await view.gridWindowsAt('feeder', feederIds, startMs);
  return feederIds.map((feederId, k) => {
    const w = windows[k]!;
    return {
      feederId,
      wh: w.energyWh,
      metersReported: w.metersReported,
      metersTotal: metersByFeeder.get(feederId) ?? null,
      voltageMinCv: w.voltageMinCv,
      voltageMaxCv: w.voltageMaxCv,
    };
  });
}

/** Active alerts per feeder (module comment) and the number that could not be attributed. */
export function countAlertsByFeeder(
  alerts: readonly Alert[],
  feederOfTransformer: ReadonlyMap<string, string>,
  feederOfMeter: ReadonlyMap<string, string>,
): { byFeeder: Map<string, number>; unattributed: number } {
  const byFeeder = new Map<string, number>();
  let unattributed = 0;
  for (const a of alerts) {
    const f =
      a.entity_type === 'transformer'
        ? feederOfTransformer.get(a.entity_id)
        : a.entity_type === 'meter'
          ? feederOfMeter.get(a.entity_id)
          : a.entity_type === 'feeder'
            ? a.entity_id
            : undefined;
    if (f === undefined) unattributed++;
    else byFeeder.set(f, (byFeeder.get(f) ?? 0) + 1);
  }
  return { byFeeder, unattributed };
}
