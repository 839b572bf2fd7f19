/**
 * Issue 17 item 3: reads the head-end flags as estimated (`estimated_flag: true`) are estimates
 * everywhere. A month (2026-02) of a simulated fleet goes the real way (Kafka → archiver → MinIO →
 * day rebuilds with DuckDB and VEE → catalog); before it is produced, some reads are flagged:
 *  - meter A: 12 quarter-hours of 2026-02-10 (under the billing hold share);
 *  - meter B: every interval of 2026-02-10…13 (384 of 2,688, above the 10 % hold share);
 *  - meter C (residential): one flagged read of 50 kWh on 2026-02-16, which the range rule rejects
 *    (VEE estimates it: a flagged read is not kept when a rule rejects it).
 * Checked against figures computed from that input: intervals_validated (class E, method HEAD_END,
 * value kept), every rollup's estimated counts (meter_hourly, meter_daily, meter_monthly, grid_15m,
 * grid_daily), the API's quality.estimated (authoritative 15m/1d/1mo; provisional 15m/1h from reads
 * put into the realtime view the way the speed layer applies them) and billing's estimated counts
 * and hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createS3, sqlPath, withConnection } from '@ami/shared/clients';
import type { ViewName } from '@ami/shared/contracts';
import {
  INTERVAL_MS,
  intervalIndexInLocalDay,
  localDate,
  localDatesOfMonth,
  localDayBounds,
  parseIsoInstant,
} from '@ami/shared/time';
import { applyToRealtimeView, intervalReadMessage } from '@ami/speed-layer/testing';
import {
  PARTITIONS,
  TZ,
  archiveThroughKafka,
  batchScenario,
  createTopics,
  simulateFleet,
  testBuilder,
  type SimulatedFleet,
  type TestBuilder,
} from '@ami/batch-layer/testing';
import { uniqueName } from '../../../test/support/config.ts';
import { featureRoutes } from '../src/app.ts';
import type { BillingDeterminantsResponse } from '../src/routes/billing.ts';
import type { MeterSeriesResponse } from '../src/routes/series.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';

const FEB = localDatesOfMonth('2026-02');
const PROVISIONAL_DAY = '2026-03-05'; // never published: the realtime view answers it
const OUTLIER_WH = 50_000; // above the residential maximum of 10 kWh per interval: RANGE_HIGH
type Row = Record<string, unknown>;

interface InputRead {
  readonly meterId: string;
  readonly startMs: number;
  readonly wh: number;
  readonly flagged: boolean;
}

describe('head-end estimates through every view (issue 17)', () => {
  const s = batchScenario('head-end-est');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  const rvPrefix = uniqueName('rvh').replace(/[^A-Za-z0-9]/g, '');
  let fleet: SimulatedFleet;
  let tb: TestBuilder;
  let deps: TestDeps;
  let api: TestApi;
  let meterA: string;
  let meterB: string;
  let meterC: string;
  let outlierStartMs: number;
  /** meter|startMs → the INTERVAL read as produced (after flagging). */
  const input = new Map<string, InputRead>();

  const get = async <T>(url: string, role: 'analyst' | 'billing') => {
    const res = await api.app.inject({ url, headers: { 'x-api-key': api.keys[role] } });
    expect(res.statusCode, url).toBe(200);
    return res.json<T>();
  };

  async function readView(view: ViewName, select: string): Promise<Row[]> {
    const pinned = await tb.reader.pin();
    try {
      const files = await pinned.localFiles(view);
      return await withConnection(tb.db, async (c) => {
        await c.run(`SET TimeZone = 'UTC'`);
        const r = await c.runAndReadAll(
          `SELECT ${select} FROM read_parquet([${files.paths.map(sqlPath).join(', ')}], hive_partitioning = true)`,
        );
        return r.getRowObjectsJS();
      });
    } finally {
      pinned.release();
    }
  }

  /** Flagged reads (the outlier is rejected by VEE and estimated by it: an estimate all the same). */
  const isEstimate = (r: InputRead) => r.flagged;
  const inputReads = () => [...input.values()];

  beforeAll(async () => {
    // 2026-02-01 … 2026-03-01 (the last day only for 02-28's end register)
    fleet = await simulateFleet({ meters: 6, days: 29, startDate: FEB[0]!, seed: 31 });
    meterA = fleet.topology[0]!.meter_id;
    meterB = fleet.topology[1]!.meter_id;
    const residential = fleet.topology.slice(2).find((r) => r.segment === 'residential' && !r.prosumer);
    if (residential === undefined) throw new Error('the fleet has no plain residential meter');
    meterC = residential.meter_id;
    outlierStartMs = localDayBounds('2026-02-16', TZ).startMs + 30 * INTERVAL_MS;
    const flag = (meterId: string, startMs: number): boolean => {
      const date = localDate(startMs, TZ);
      const slot = intervalIndexInLocalDay(startMs, TZ);
      if (meterId === meterA) return date === '2026-02-10' && slot >= 40 && slot < 52;
      if (meterId === meterB) return date >= '2026-02-10' && date <= '2026-02-13';
      return meterId === meterC && startMs === outlierStartMs;
    };
    const reads = fleet.reads.map((m) => {
      const r = JSON.parse(m.value) as Record<string, unknown>;
      if (r.read_type !== 'INTERVAL') return m;
      const meterId = String(r.meter_id);
      const startMs = parseIsoInstant(String(r.interval_start));
      const flagged = flag(meterId, startMs);
      const outlier = meterId === meterC && startMs === outlierStartMs;
      const wh = outlier ? OUTLIER_WH : Math.round(Number(r.consumption_kwh) * 1000);
      if (localDate(startMs, TZ).startsWith('2026-02'))
        input.set(`${meterId}|${startMs}`, { meterId, startMs, wh, flagged });
      if (!flagged) return m;
      const energy = outlier ? { consumption_kwh: 50, delivered_kwh: 50, received_kwh: 0 } : {};
      return { key: m.key, value: JSON.stringify({ ...r, ...energy, estimated_flag: true }) };
    });
    await createTopics(createKafka(s.config), s.config);
    await archiveThroughKafka(s, { s3, redis }, { reads, events: fleet.events });
    tb = await testBuilder(s, s3, fleet.topology);
    for (const date of FEB)
      expect((await tb.builder.buildDay({ date, cause: 'backfill' })).committed).toBe(true);

    // provisional: meter A's first two hours of a day never published, three of them head-end estimates
    const a = fleet.topology[0]!;
    const first = localDayBounds(PROVISIONAL_DAY, TZ).startMs;
    await applyToRealtimeView(
      redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: TZ, nowMs: Date.now() },
      [0, 1, 2, 3, 4, 5, 6, 7].map((slot) => {
        const message = JSON.parse(
          intervalReadMessage({
            meterId: a.meter_id,
            startMs: first + slot * INTERVAL_MS,
            wh: 100 + slot,
            transformerId: a.transformer_id,
            feederId: a.feeder_id,
            servicePointId: a.service_point_id,
            customerId: a.customer_id,
          }),
        ) as Record<string, unknown>;
        return {
          message: JSON.stringify({ ...message, estimated_flag: [2, 3, 5].includes(slot) }),
          attribution: {
            transformerId: a.transformer_id,
            feederId: a.feeder_id,
            substationId: a.substation_id,
            region: a.region,
          },
        };
      }),
    );
    deps = await realDeps(s.config, `it/${s.id}/`);
    api = await buildTestApi({
      deps: { ...deps.deps, realtimePrefix: rvPrefix, partitions: PARTITIONS },
      routes: featureRoutes,
    });
  }, 900_000);

  afterAll(async () => {
    await api?.app.close();
    await deps?.close();
    tb?.close();
    const keys = await redis.keys(`{${rvPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps head-end estimates in intervals_validated as class E, method HEAD_END, value as received', async () => {
    const rows = await readView(
      'intervals_validated',
      'meter_id, epoch_ms(interval_start)::DOUBLE AS ms, wh, quality, method, reason, original_wh',
    );
    expect(rows).toHaveLength(input.size);
    const seen = { headEnd: 0, actual: 0 };
    for (const r of rows) {
      const read = input.get(`${String(r.meter_id)}|${Number(r.ms)}`)!;
      expect(read, `${String(r.meter_id)} ${Number(r.ms)}`).toBeDefined();
      const got = {
        q: r.quality,
        method: r.method,
        reason: r.reason,
        wh: Number(r.wh),
        orig: Number(r.original_wh),
      };
      if (read.startMs === outlierStartMs && read.meterId === meterC) {
        // flagged, but rejected by the range rule: VEE estimates it like any rejected read
        expect(got.q).toBe('E');
        expect(['LINEAR', 'REGISTER_SCALED']).toContain(got.method);
        expect([got.reason, got.orig]).toEqual(['RANGE_HIGH', OUTLIER_WH]);
        expect(got.wh).toBeLessThan(10_000);
      } else if (read.flagged) {
        expect(got).toEqual({
          q: 'E',
          method: 'HEAD_END',
          reason: 'HEAD_END_ESTIMATE',
          wh: read.wh,
          orig: read.wh,
        });
        seen.headEnd++;
      } else {
        expect(got).toEqual({ q: 'A', method: 'NONE', reason: 'NONE', wh: read.wh, orig: read.wh });
        seen.actual++;
      }
    }
    expect(seen.headEnd).toBe(12 + 4 * 96);
    expect(seen.actual).toBe(input.size - 12 - 4 * 96 - 1);
  });

  it('counts them as estimated in every rollup', async () => {
    const by = <K>(key: (r: InputRead) => K) => {
      const m = new Map<K, number>();
      for (const r of inputReads()) if (isEstimate(r)) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
      return m;
    };
    const nonZero = (rows: Row[], key: (r: Row) => string) =>
      new Map(rows.filter((r) => Number(r.estimated) > 0).map((r) => [key(r), Number(r.estimated)]));

    const daily = await readView(
      'meter_daily',
      'meter_id, CAST(date AS VARCHAR) AS d, slots, actual, estimated',
    );
    expect(nonZero(daily, (r) => `${String(r.meter_id)}|${String(r.d)}`)).toEqual(
      by((r) => `${r.meterId}|${localDate(r.startMs, TZ)}`),
    );
    for (const r of daily) expect(Number(r.actual) + Number(r.estimated)).toBe(Number(r.slots));

    const hourly = await readView('meter_hourly', 'meter_id, epoch_ms(hour_start)::DOUBLE AS h, estimated');
    expect(nonZero(hourly, (r) => `${String(r.meter_id)}|${Number(r.h)}`)).toEqual(
      by((r) => `${r.meterId}|${Math.floor(r.startMs / 3_600_000) * 3_600_000}`),
    );

    const monthly = await readView('meter_monthly', 'meter_id, estimated');
    expect(nonZero(monthly, (r) => String(r.meter_id))).toEqual(by((r) => r.meterId));

    const transformerOf = new Map(fleet.topology.map((t) => [t.meter_id, t.transformer_id]));
    const grid15 = await readView(
      'grid_15m',
      'level, entity_id, epoch_ms(interval_start)::DOUBLE AS ms, estimated',
    );
    const transformer15 = grid15.filter((r) => r.level === 'transformer');
    expect(nonZero(transformer15, (r) => `${String(r.entity_id)}|${Number(r.ms)}`)).toEqual(
      by((r) => `${transformerOf.get(r.meterId)}|${r.startMs}`),
    );
    const gridDaily = (
      await readView('grid_daily', 'level, entity_id, CAST(date AS VARCHAR) AS d, estimated')
    ).filter((r) => r.level === 'transformer');
    expect(nonZero(gridDaily, (r) => `${String(r.entity_id)}|${String(r.d)}`)).toEqual(
      by((r) => `${transformerOf.get(r.meterId)}|${localDate(r.startMs, TZ)}`),
    );
  });

  it('answers quality.estimated for them on authoritative buckets (15m, 1d, 1mo)', async () => {
    const q = (from: string, to: string, step: string) =>
      new URLSearchParams({ from: `${from}T00:00:00+01:00`, to: `${to}T00:00:00+01:00`, step }).toString();
    const quarter = await get<MeterSeriesResponse>(
      `/v1/meters/${meterA}/series?${q('2026-02-10', '2026-02-11', '15m')}`,
      'analyst',
    );
    expect(quarter.points).toHaveLength(96);
    quarter.points.forEach((p, slot) => {
      const est = slot >= 40 && slot < 52 ? 1 : 0;
      expect({ slot, status: p.status, quality: p.quality }).toEqual({
        slot,
        status: 'authoritative',
        quality: { actual: 1 - est, estimated: est, edited: 0, missing: 0, outage: 0 },
      });
    });
    const days = await get<MeterSeriesResponse>(
      `/v1/meters/${meterB}/series?${q('2026-02-01', '2026-03-01', '1d')}`,
      'analyst',
    );
    expect(days.points).toHaveLength(28);
    for (const p of days.points) {
      const est = p.start >= '2026-02-10' && p.start < '2026-02-14' ? 96 : 0;
      expect([p.start.slice(0, 10), p.quality.estimated, p.quality.actual]).toEqual([
        p.start.slice(0, 10),
        est,
        96 - est,
      ]);
    }
    const month = await get<MeterSeriesResponse>(
      `/v1/meters/${meterA}/series?${q('2026-02-01', '2026-03-01', '1mo')}`,
      'analyst',
    );
    expect(month.points).toHaveLength(1);
    expect(month.points[0]!).toMatchObject({
      status: 'authoritative',
      quality: { estimated: 12, actual: 28 * 96 - 12 },
    });
  });

  it('answers quality.estimated for them on provisional buckets (15m, 1h) from the realtime view', async () => {
    const from = `${PROVISIONAL_DAY}T00:00:00+01:00`;
    const to = `${PROVISIONAL_DAY}T02:00:00+01:00`;
    const q = (step: string) => new URLSearchParams({ from, to, step }).toString();
    const quarter = await get<MeterSeriesResponse>(`/v1/meters/${meterA}/series?${q('15m')}`, 'analyst');
    expect(
      quarter.points.map((p) => [p.status, Math.round(p.kwh! * 1000), p.quality.estimated, p.quality.actual]),
    ).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((slot) => {
        const est = [2, 3, 5].includes(slot) ? 1 : 0;
        return ['provisional', 100 + slot, est, 1 - est];
      }),
    );
    const hours = await get<MeterSeriesResponse>(`/v1/meters/${meterA}/series?${q('1h')}`, 'analyst');
    expect(hours.points.map((p) => [p.status, p.quality])).toEqual([
      ['provisional', { actual: 2, estimated: 2, edited: 0, missing: 0, outage: 0 }],
      ['provisional', { actual: 3, estimated: 1, edited: 0, missing: 0, outage: 0 }],
    ]);
  });

  it('counts them in billing’s estimated intervals and its hold rule', async () => {
    const body = await get<BillingDeterminantsResponse>('/v1/billing/determinants?period=2026-02', 'billing');
    const spOf = new Map(fleet.topology.map((t) => [t.meter_id, t.service_point_id]));
    const want = new Map<string, { total: number; estimated: number }>();
    for (const r of inputReads()) {
      const sp = spOf.get(r.meterId)!;
      const w = want.get(sp) ?? { total: 0, estimated: 0 };
      w.total++;
      if (isEstimate(r)) w.estimated++;
      want.set(sp, w);
    }
    expect(body.determinants).toHaveLength(want.size);
    for (const d of body.determinants) {
      const w = want.get(d.service_point_id)!;
      const hold = w.estimated / w.total > 0.1;
      expect({
        sp: d.service_point_id,
        total: d.intervals.total,
        estimated: d.intervals.estimated,
        missing: d.intervals.missing,
        hold: d.hold,
        reason: d.hold_reason?.split(':')[0] ?? null,
      }).toEqual({
        sp: d.service_point_id,
        total: w.total,
        estimated: w.estimated,
        missing: 0,
        hold,
        reason: hold ? 'ESTIMATED_SHARE_ABOVE_LIMIT' : null,
      });
    }
    const b = body.determinants.find((d) => d.service_point_id === spOf.get(meterB))!;
    expect(b.hold).toBe(true); // 384 of 2,688 intervals estimated by the head-end
    const a = body.determinants.find((d) => d.service_point_id === spOf.get(meterA))!;
    expect([a.intervals.estimated, a.hold]).toEqual([12, false]);
  });
});
