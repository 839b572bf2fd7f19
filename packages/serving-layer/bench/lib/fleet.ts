/**
 * A small synthetic fleet for serving-layer benchmarks and tests: batch views written directly with
 * DuckDB in the view schemas of packages/batch-layer/README.md and published in ONE commit with the
 * real CatalogPublisher (cheaper than a rebuild), and realtime-view reads applied to Redis through
 * the speed layer's own apply path (`applyToRealtimeView` of @ami/speed-layer/testing).
 *
 * Meter m (0-based) reads `whOf(m, slot) = 10 + (7m + slot) mod 50` Wh in every interval, class A.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { sqlPath, withConnection, type DuckDBInstance, type RedisClient } from '@ami/shared/clients';
import { CatalogPublisher, type PartitionInput } from '@ami/batch-layer/catalog';
import { DAILY_VIEWS, MONTHLY_VIEWS, type ViewName } from '@ami/shared/catalog';
import { formatIsoUtc, intervalsInLocalDay, localDayBounds } from '@ami/shared/time';
import { applyToRealtimeView, type SeedRead } from '@ami/speed-layer/testing';

const Q = 900_000;

export interface FleetMeter {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly customerId: string;
  readonly transformerId: string;
  readonly feederId: string;
  readonly substationId: string;
  readonly region: string;
  readonly segment: 'residential' | 'commercial' | 'industrial';
  readonly tariff: 'flat' | 'tou';
}

export const whOf = (m: number, slot: number): number => 10 + ((7 * m + slot) % 50);

/** `n` meters: 20 per transformer, 5 transformers per feeder, 2 feeders per substation, 2 substations per region. */
export function makeFleet(n: number): FleetMeter[] {
  const segs = ['residential', 'commercial', 'industrial'] as const;
  return Array.from({ length: n }, (_, m) => {
    const t = Math.floor(m / 20);
    const f = Math.floor(t / 5);
    const s = Math.floor(f / 2);
    const r = Math.floor(s / 2);
    const pad = (x: number) => String(x).padStart(6, '0');
    return {
      meterId: `MTR-${pad(m)}`,
      servicePointId: `SP-${pad(m)}`,
      customerId: `C-${pad(m)}`,
      transformerId: `T-${pad(t)}`,
      feederId: `F-${pad(f)}`,
      substationId: `S-${pad(s)}`,
      region: `R-${pad(r)}`,
      segment: segs[m % 3]!,
      tariff: m % 2 === 0 ? 'flat' : 'tou',
    };
  });
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

export interface PublishFleetOptions {
  readonly db: DuckDBInstance;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly timeZone: string;
  readonly dir: string;
  readonly fleet: readonly FleetMeter[];
  /** Consecutive local dates (ascending) to publish; their months get meter_monthly and billing_determinants. */
  readonly dates: readonly string[];
}

/** Writes and publishes every view of `dates` in one catalog commit; returns the version. */
export async function publishFleetViews(o: PublishFleetOptions): Promise<string | null> {
  mkdirSync(o.dir, { recursive: true });
  const inputs: PartitionInput[] = [];
  await withConnection(o.db, async (c) => {
    const values = o.fleet
      .map(
        (f, m) =>
          `(${m}, ${[f.meterId, f.servicePointId, f.customerId, f.transformerId, f.feederId, f.substationId, f.region, f.segment, f.tariff].map(lit).join(', ')})`,
      )
      .join(', ');
    await c.run(
      `CREATE OR REPLACE TEMP TABLE fleet AS SELECT * FROM (VALUES ${values}) t(m, meter_id, service_point_id,
       customer_id, transformer_id, feeder_id, substation_id, region, segment, tariff)`,
    );
    await c.run(
      `CREATE OR REPLACE TEMP TABLE all_daily (date VARCHAR, meter_id VARCHAR, service_point_id VARCHAR,
       customer_id VARCHAR, tariff VARCHAR, wh BIGINT, slots INTEGER, max_interval_wh BIGINT,
       max_interval_start TIMESTAMPTZ)`,
    );
    const files = (date: string, view: string) => join(o.dir, `${view}-${date}.parquet`);
    for (const date of o.dates) {
      const n = intervalsInLocalDay(date, o.timeZone);
      const first = localDayBounds(date, o.timeZone).startMs;
      await c.run(
        `CREATE OR REPLACE TEMP TABLE ivt AS
         SELECT f.*, r.s AS slot, make_timestamptz((${first}::BIGINT + r.s::BIGINT * ${Q}) * 1000) AS interval_start,
                (10 + (f.m * 7 + r.s) % 50)::BIGINT AS wh
         FROM fleet f, range(${n}) r(s)`,
      );
      const copy = async (view: ViewName, select: string) => {
        const path = files(date, view);
        await c.run(`COPY (${select}) TO ${sqlPath(path)} (FORMAT parquet)`);
        const rows = Number(
          (await c.runAndReadAll(`SELECT count(*) AS n FROM ${sqlPath(path)}`)).getRows()[0]![0],
        );
        return { path, rows };
      };
      const written: Partial<Record<ViewName, { path: string; rows: number }>> = {};
      written.intervals_validated = await copy(
        'intervals_validated',
        `SELECT meter_id, service_point_id, interval_start, wh, 'A' AS quality, 'NONE' AS method, 'NONE' AS reason,
                wh AS original_wh, NULL::VARCHAR AS edit_id FROM ivt ORDER BY meter_id, interval_start`,
      );
      written.meter_daily = await copy(
        'meter_daily',
        `SELECT meter_id, service_point_id, customer_id, transformer_id, feeder_id, substation_id, region, segment,
                tariff, sum(wh)::BIGINT AS wh, count(*)::INTEGER AS slots, count(*)::INTEGER AS actual,
                0::INTEGER AS estimated, 0::INTEGER AS edited, 0::INTEGER AS missing, 0::INTEGER AS outage,
                0::BIGINT AS peak_wh, CASE WHEN tariff = 'tou' THEN sum(wh) ELSE 0 END::BIGINT AS off_peak_wh,
                CASE WHEN tariff = 'flat' THEN sum(wh) ELSE 0 END::BIGINT AS flat_wh, max(wh)::BIGINT AS max_interval_wh,
                arg_max(interval_start, wh) AS max_interval_start, 'OK' AS sum_check
         FROM ivt GROUP BY meter_id, service_point_id, customer_id, transformer_id, feeder_id, substation_id, region,
                  segment, tariff ORDER BY meter_id`,
      );
      await c.run(
        `INSERT INTO all_daily SELECT ${lit(date)}, meter_id, service_point_id, customer_id, tariff, sum(wh),
                count(*), max(wh), arg_max(interval_start, wh) FROM ivt GROUP BY ALL`,
      );
      const levels = [
        ['transformer', 'transformer_id'],
        ['feeder', 'feeder_id'],
        ['substation', 'substation_id'],
        ['region', 'region'],
      ];
      written.grid_15m = await copy(
        'grid_15m',
        levels
          .map(
            ([level, col]) =>
              `SELECT '${level}' AS level, ${col} AS entity_id, interval_start, sum(wh)::BIGINT AS wh,
                      count(*)::INTEGER AS meters_total, count(*)::INTEGER AS meters_reported, 0::INTEGER AS estimated,
                      0::INTEGER AS edited, 0::INTEGER AS missing, 0::INTEGER AS outage, 230.0::DOUBLE AS voltage_avg,
                      228.0::DOUBLE AS voltage_min, 232.0::DOUBLE AS voltage_max FROM ivt GROUP BY ${col}, interval_start`,
          )
          .join(' UNION ALL ')
          .concat(' ORDER BY level, entity_id, interval_start'),
      );
      for (const view of DAILY_VIEWS) {
        const f = written[view];
        inputs.push({ view, partition: `date=${date}`, files: f ? [f] : [] });
      }
    }
    for (const month of [...new Set(o.dates.map((d) => d.slice(0, 7)))]) {
      const [y, mo] = month.split('-').map(Number) as [number, number];
      const inPeriod = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      const where = `WHERE date LIKE ${lit(`${month}-%`)}`;
      const mm = join(o.dir, `meter_monthly-${month}.parquet`);
      await c.run(
        `COPY (SELECT meter_id, service_point_id, sum(wh)::BIGINT AS wh, count(*)::INTEGER AS days,
               sum(slots)::INTEGER AS slots, sum(slots)::INTEGER AS actual, 0::INTEGER AS estimated,
               0::INTEGER AS edited, 0::INTEGER AS missing, 0::INTEGER AS outage
               FROM all_daily ${where} GROUP BY ALL ORDER BY meter_id) TO ${sqlPath(mm)} (FORMAT parquet)`,
      );
      const bd = join(o.dir, `billing_determinants-${month}.parquet`);
      await c.run(
        `COPY (SELECT service_point_id, any_value(customer_id) AS customer_id, any_value(tariff) AS tariff,
               sum(wh)::BIGINT AS total_wh, 0::BIGINT AS peak_wh,
               CASE WHEN any_value(tariff) = 'tou' THEN sum(wh) ELSE 0 END::BIGINT AS off_peak_wh,
               CASE WHEN any_value(tariff) = 'flat' THEN sum(wh) ELSE 0 END::BIGINT AS flat_wh,
               (max(max_interval_wh) * 4)::BIGINT AS max_demand_w, min(max_interval_start) AS max_demand_at,
               sum(slots)::INTEGER AS intervals, 0::INTEGER AS estimated, 0::INTEGER AS edited, 0::INTEGER AS missing,
               0::INTEGER AS outage, count(*)::INTEGER AS days, ${inPeriod}::INTEGER AS days_in_period,
               count(*) = ${inPeriod} AS complete, false AS hold, NULL::VARCHAR AS hold_reason
               FROM all_daily ${where} GROUP BY service_point_id ORDER BY service_point_id) TO ${sqlPath(bd)} (FORMAT parquet)`,
      );
      const n = o.fleet.length;
      for (const view of MONTHLY_VIEWS) {
        const path = view === 'meter_monthly' ? mm : view === 'billing_determinants' ? bd : undefined;
        inputs.push({ view, partition: `month=${month}`, files: path ? [{ path, rows: n }] : [] });
      }
    }
  });
  const publisher = new CatalogPublisher({
    s3: o.s3,
    bucket: o.bucket,
    prefix: o.prefix,
    timeZone: o.timeZone,
    retentionMs: 86_400_000,
  });
  const res = await publisher.publish(inputs, { cause: 'nightly' });
  return res.version;
}

export interface RealtimeRead {
  readonly meter: FleetMeter;
  readonly m: number;
  readonly date: string;
  readonly slot: number;
}

/** Applies interval reads (value whOf(m, slot)) to the realtime view exactly as the speed layer does. */
export async function applyFleetReads(
  redis: RedisClient,
  opts: { keyPrefix: string; partitions: number; timeZone: string; nowMs: number },
  reads: readonly RealtimeRead[],
  chunk = 2_000,
): Promise<void> {
  const seeds: SeedRead[] = reads.map((r) => {
    const startMs = localDayBounds(r.date, opts.timeZone).startMs + r.slot * Q;
    const wh = whOf(r.m, r.slot);
    const message = JSON.stringify({
      meter_id: r.meter.meterId,
      service_point_id: r.meter.servicePointId,
      customer_id: r.meter.customerId,
      transformer_id: r.meter.transformerId,
      feeder_id: r.meter.feederId,
      read_type: 'INTERVAL',
      interval_start: formatIsoUtc(startMs),
      interval_end: formatIsoUtc(startMs + Q),
      consumption_kwh: wh / 1000,
      delivered_kwh: wh / 1000,
      received_kwh: 0,
      voltage_v: 230,
      power_quality_code: 0,
      estimated_flag: false,
      read_ts: formatIsoUtc(startMs + Q + 60_000),
    });
    const attribution = {
      transformerId: r.meter.transformerId,
      feederId: r.meter.feederId,
      substationId: r.meter.substationId,
      region: r.meter.region,
    };
    return { message, attribution };
  });
  await applyToRealtimeView(redis, { ...opts, maxEventMs: opts.nowMs - 86_400_000, chunk }, seeds);
}
