/**
 * The API over views built by the real batch pipeline (simulator → Kafka → archiver → MinIO →
 * day rebuild → catalog), not over hand-written view files: the serving readers and the batch
 * writers must agree on the view schemas. Values are checked against the simulator's truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createS3, type RedisClient } from '@ami/shared/clients';
import { localDate, localDayBounds, parseIsoInstant } from '@ami/shared/time';
import {
  TZ,
  archiveThroughKafka,
  batchScenario,
  createTopics,
  simulateFleet,
  testBuilder,
  type SimulatedFleet,
  type TestBuilder,
} from '@ami/batch-layer/testing';
import { applyToRealtimeView, type SeedRead } from '@ami/speed-layer/testing';
import { uniqueName } from '../../../test/support/config.ts';
import { featureRoutes } from '../src/app.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';

const DATES = ['2026-03-28', '2026-03-29'];
/** Simulated but not built: served from the realtime view (applied through the speed layer's path). */
const REALTIME_DATE = '2026-03-30';
const wh = (kwh: number | null) => (kwh === null ? null : Math.round(kwh * 1000));

describe('API over the real batch pipeline', () => {
  const s = batchScenario('api-pipeline');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  let fleet: SimulatedFleet;
  let tb: TestBuilder;
  let deps: TestDeps;
  let api: TestApi;
  const truth = new Map<string, number>(); // meter|startMs → Wh

  beforeAll(async () => {
    fleet = await simulateFleet({ meters: 12, days: DATES.length + 1, startDate: DATES[0]!, seed: 21 });
    for (const line of fleet.truthLines) {
      const t = JSON.parse(line) as {
        fault?: string;
        meter_id?: string;
        interval_start?: string;
        wh?: number;
      };
      if (t.fault === undefined && t.meter_id && t.interval_start)
        truth.set(`${t.meter_id}|${parseIsoInstant(t.interval_start)}`, t.wh!);
    }
    await createTopics(createKafka(s.config), s.config);
    const built = new Set(DATES);
    const inBuiltDays = (m: { value: string }) => {
      const r = JSON.parse(m.value) as { interval_start: string; read_type: string };
      const date = localDate(parseIsoInstant(r.interval_start), TZ);
      // the end register of the last built day sits at the first instant of the next day
      return (
        built.has(date) ||
        (r.read_type === 'DAILY' && built.has(localDate(parseIsoInstant(r.interval_start) - 1, TZ)))
      );
    };
    await archiveThroughKafka(s, { s3, redis }, { reads: fleet.reads.filter(inBuiltDays), events: [] });
    tb = await testBuilder(s, s3, fleet.topology);
    for (const date of DATES)
      expect((await tb.builder.buildDay({ date, cause: 'backfill' })).committed).toBe(true);
    deps = await realDeps(s.config, `it/${s.id}/`);
    // a realtime view of its own holding the third day (and, to prove the merge ignores it there,
    // a wrong copy of the second) — applied through the speed layer's apply path
    const rvPrefix = uniqueName('rvp').replace(/[^A-Za-z0-9]/g, '');
    await applyRealtime(deps.deps.redis, rvPrefix, deps.deps.partitions, fleet, (date) =>
      date === REALTIME_DATE ? 0 : date === DATES[1] ? 7 : null,
    );
    api = await buildTestApi({ deps: { ...deps.deps, realtimePrefix: rvPrefix }, routes: featureRoutes });
  }, 240_000);

  afterAll(async () => {
    await api?.app.close();
    await deps?.close();
    tb?.close();
    redis.disconnect();
  });

  const get = (url: string, role: 'analyst' | 'billing' | 'dashboard') =>
    api.app.inject({ url, headers: { 'x-api-key': api.keys[role] } });

  it('serves a meter’s hourly and daily series from the built views, equal to the truth', async () => {
    const meter = fleet.topology[0]!.meter_id;
    const from = encodeURIComponent('2026-03-28T00:00:00+01:00');
    const to = encodeURIComponent('2026-03-30T00:00:00+02:00');
    const hourly = await get(`/v1/meters/${meter}/series?from=${from}&to=${to}&step=1h`, 'analyst');
    expect(hourly.statusCode).toBe(200);
    const body = hourly.json<{
      watermark: string;
      version: string;
      points: { start: string; kwh: number | null; status: string; quality: { actual: number } }[];
    }>();
    expect(parseIsoInstant(body.watermark)).toBe(localDayBounds('2026-03-29', TZ).endMs);
    expect(body.points.length).toBe(24 + 23);
    for (const p of body.points) {
      const start = parseIsoInstant(p.start);
      let want = 0;
      for (let k = 0; k < 4; k++) want += truth.get(`${meter}|${start + k * 900_000}`)!;
      expect({ at: p.start, status: p.status, wh: wh(p.kwh), actual: p.quality.actual }).toEqual({
        at: p.start,
        status: 'authoritative',
        wh: want,
        actual: 4,
      });
    }
    const daily = (await get(`/v1/meters/${meter}/series?from=${from}&to=${to}&step=1d`, 'billing')).json<{
      points: { start: string; kwh: number; quality: { actual: number } }[];
    }>();
    expect(daily.points.map((p) => p.quality.actual)).toEqual([96, 92]);
    for (const p of daily.points) {
      const date = localDate(parseIsoInstant(p.start), TZ);
      let want = 0;
      for (const [k, v] of truth)
        if (k.startsWith(`${meter}|`) && localDate(Number(k.split('|')[1]), TZ) === date) want += v;
      expect(wh(p.kwh)).toBe(want);
    }
  });

  it('serves transformer windows and regional aggregates equal to the truth', async () => {
    const tx = fleet.topology[0]!.transformer_id;
    const members = fleet.topology.filter((t) => t.transformer_id === tx).map((t) => t.meter_id);
    const from = encodeURIComponent('2026-03-28T00:00:00+01:00');
    const to = encodeURIComponent('2026-03-29T00:00:00+01:00');
    const grid = (
      await get(`/v1/grid/transformer/${tx}/series?from=${from}&to=${to}&step=15m`, 'dashboard')
    ).json<{
      points: { start: string; kwh: number; status: string }[];
    }>();
    expect(grid.points.length).toBe(96);
    for (const p of grid.points) {
      const at = parseIsoInstant(p.start);
      expect(wh(p.kwh)).toBe(members.reduce((sum, m) => sum + truth.get(`${m}|${at}`)!, 0));
    }
    const agg = await get(
      `/v1/analytics/aggregate?metric=energy_kwh&groupBy=region&step=1d&from=${from}&to=${to}`,
      'analyst',
    );
    expect(agg.statusCode).toBe(200);
    const rows = agg.json<{ rows: { group: string; value: number | null; status: string }[] }>().rows;
    const total = rows.reduce((sum, r) => sum + (wh(r.value) ?? 0), 0);
    let want = 0;
    const { startMs, endMs } = localDayBounds('2026-03-28', TZ);
    for (const [k, v] of truth) {
      const at = Number(k.split('|')[1]);
      if (at >= startMs && at < endMs) want += v;
    }
    expect(rows.every((r) => r.status === 'authoritative')).toBe(true);
    expect(total).toBe(want);
  });

  it('merges at the watermark: authoritative before it, provisional (the realtime view) after', async () => {
    const meter = fleet.topology[3]!.meter_id;
    const from = encodeURIComponent('2026-03-29T12:00:00+02:00');
    const to = encodeURIComponent('2026-03-30T12:00:00+02:00');
    const body = (await get(`/v1/meters/${meter}/series?from=${from}&to=${to}&step=1h`, 'dashboard')).json<{
      watermark: string;
      points: { start: string; kwh: number | null; status: string }[];
    }>();
    const watermarkMs = parseIsoInstant(body.watermark);
    expect(body.points.length).toBe(24);
    for (const p of body.points) {
      const start = parseIsoInstant(p.start);
      let want = 0;
      for (let k = 0; k < 4; k++) want += truth.get(`${meter}|${start + k * 900_000}`)!;
      expect({ at: p.start, status: p.status, wh: wh(p.kwh) }).toEqual({
        at: p.start,
        status: start >= watermarkMs ? 'provisional' : 'authoritative',
        wh: want,
      });
    }
  });

  it('refuses billing determinants of a period that is not final, naming the missing days', async () => {
    const res = await get('/v1/billing/determinants?period=2026-03', 'billing');
    expect(res.statusCode).toBe(409);
    const missing = res.json<{ details: { missing_days: string[] } }>().details.missing_days;
    expect(missing).not.toContain('2026-03-28');
    expect(missing).not.toContain('2026-03-29');
    expect(missing).toContain('2026-03-01');
    expect(missing).toContain('2026-03-31');
    expect(missing.length).toBe(31 - DATES.length);
  });
});

/**
 * Applies the simulated interval reads of the dates `shiftOf` maps to a number (Wh added to each
 * value, 0 = as simulated) to a realtime view under `prefix`, as the speed layer would.
 */
async function applyRealtime(
  redis: RedisClient,
  prefix: string,
  partitions: number,
  fleet: SimulatedFleet,
  shiftOf: (date: string) => number | null,
): Promise<void> {
  const topo = new Map(fleet.topology.map((t) => [t.meter_id, t]));
  const reads: SeedRead[] = [];
  for (const m of fleet.reads) {
    const raw = JSON.parse(m.value) as Record<string, unknown>;
    if (raw.read_type !== 'INTERVAL') continue;
    const shift = shiftOf(localDate(parseIsoInstant(String(raw.interval_start)), TZ));
    if (shift === null) continue;
    const t = topo.get(String(raw.meter_id))!;
    reads.push({
      message: JSON.stringify({
        ...raw,
        consumption_kwh: Number(raw.consumption_kwh) + shift / 1000,
        delivered_kwh: Number(raw.delivered_kwh) + shift / 1000,
      }),
      attribution: {
        transformerId: t.transformer_id,
        feederId: t.feeder_id,
        substationId: t.substation_id,
        region: t.region,
      },
    });
  }
  await applyToRealtimeView(
    redis,
    { keyPrefix: prefix, partitions, timeZone: TZ, nowMs: Date.UTC(2026, 3, 1) },
    reads,
  );
}
