/**
 * Issue 17 item 1: one late read for an old day must not take a published month away. With March
 * 2026 published by the real batch pipeline (simulator → Kafka → archiver → MinIO → day rebuild →
 * catalog), the late-data rebuild of 2026-02-10 publishes that day alone. Through the API:
 *  - the catalog watermark stays 2026-04-01T00:00 Europe/Stockholm (it ends the run that holds the
 *    latest published day; it used to fall to 2026-02-11);
 *  - a March meter series (1d, 15m on a day) and grid series (1d) keep every bucket `authoritative`
 *    with the same values, and so does the March month bucket;
 *  - the 2026-02-10 bucket turns `authoritative`, equal to the simulator's truth;
 *  - billing for 2026-03 stays 200 with the same determinants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createS3 } from '@ami/shared/clients';
import { localDate, localDatesBetween, localDayBounds, parseIsoInstant } from '@ami/shared/time';
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
import { uniqueName } from '../../../test/support/config.ts';
import { featureRoutes } from '../src/app.ts';
import type { BillingDeterminantsResponse } from '../src/routes/billing.ts';
import type { GridSeriesResponse, MeterSeriesResponse } from '../src/routes/series.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';

const MARCH = localDatesBetween('2026-03-01', '2026-03-31');
const LATE_DAY = '2026-02-10';
const wh = (kwh: number | null) => (kwh === null ? null : Math.round(kwh * 1000));

interface Answers {
  readonly watermark: string | null;
  readonly meterDays: MeterSeriesResponse;
  readonly meterQuarterHours: MeterSeriesResponse;
  readonly meterMonths: MeterSeriesResponse;
  readonly gridDays: GridSeriesResponse;
  readonly billing: { status: number; body: BillingDeterminantsResponse };
}

describe('a late read for an old day keeps the published month (issue 17)', () => {
  const s = batchScenario('late-old-day');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  let fleet: SimulatedFleet;
  let tb: TestBuilder;
  let deps: TestDeps;
  let api: TestApi;
  let before: Answers;
  let after: Answers;
  const truth = new Map<string, number>(); // meter|startMs → Wh

  const get = async <T>(url: string, role: 'analyst' | 'billing' | 'dashboard') => {
    const res = await api.app.inject({ url, headers: { 'x-api-key': api.keys[role] } });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const q = (from: string, to: string, step: string) =>
    new URLSearchParams({ from: `${from}T00:00:00+01:00`, to, step }).toString();

  async function answers(): Promise<Answers> {
    const meter = fleet.topology[0]!.meter_id;
    const tx = fleet.topology[0]!.transformer_id;
    const marchEnd = '2026-04-01T00:00:00+02:00';
    const catalog = await get<{ watermark: string | null }>('/v1/catalog', 'analyst');
    const meterDays = await get<MeterSeriesResponse>(
      `/v1/meters/${meter}/series?${q('2026-02-09', marchEnd, '1d')}`,
      'analyst',
    );
    const meterQuarterHours = await get<MeterSeriesResponse>(
      `/v1/meters/${meter}/series?${q('2026-03-10', '2026-03-11T00:00:00+01:00', '15m')}`,
      'billing',
    );
    const meterMonths = await get<MeterSeriesResponse>(
      `/v1/meters/${meter}/series?${q('2026-03-01', marchEnd, '1mo')}`,
      'analyst',
    );
    const gridDays = await get<GridSeriesResponse>(
      `/v1/grid/transformer/${tx}/series?${q('2026-03-01', marchEnd, '1d')}`,
      'dashboard',
    );
    const billing = await get<BillingDeterminantsResponse>(
      '/v1/billing/determinants?period=2026-03',
      'billing',
    );
    for (const r of [meterDays, meterQuarterHours, meterMonths, gridDays]) expect(r.status).toBe(200);
    return {
      watermark: catalog.body.watermark,
      meterDays: meterDays.body,
      meterQuarterHours: meterQuarterHours.body,
      meterMonths: meterMonths.body,
      gridDays: gridDays.body,
      billing,
    };
  }

  beforeAll(async () => {
    // 2026-02-10 … 2026-04-01 (the last day only for 03-31's end register)
    fleet = await simulateFleet({ meters: 4, days: 51, startDate: LATE_DAY, seed: 17 });
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
    const built = new Set([LATE_DAY, ...MARCH]);
    const inBuiltDays = (m: { value: string }) => {
      const r = JSON.parse(m.value) as { interval_start: string; read_type: string };
      const at = parseIsoInstant(r.interval_start);
      // the end register of a built day sits at the first instant of the next day
      return built.has(localDate(at, TZ)) || (r.read_type === 'DAILY' && built.has(localDate(at - 1, TZ)));
    };
    await createTopics(createKafka(s.config), s.config);
    await archiveThroughKafka(s, { s3, redis }, { reads: fleet.reads.filter(inBuiltDays), events: [] });
    tb = await testBuilder(s, s3, fleet.topology);
    for (const date of MARCH)
      expect((await tb.builder.buildDay({ date, cause: 'backfill' })).committed).toBe(true);
    deps = await realDeps(s.config, `it/${s.id}/`);
    // a realtime view of its own that holds nothing: every answer here is the batch layer's
    const realtimePrefix = uniqueName('rvl').replace(/[^A-Za-z0-9]/g, '');
    api = await buildTestApi({ deps: { ...deps.deps, realtimePrefix }, routes: featureRoutes });

    before = await answers();
    const late = await tb.builder.buildDay({ date: LATE_DAY, cause: 'late_data' });
    expect(late.committed).toBe(true);
    after = await answers();
  }, 600_000);

  afterAll(async () => {
    await api?.app.close();
    await deps?.close();
    tb?.close();
    redis.disconnect();
  });

  it('keeps the watermark at 2026-04-01 local midnight', () => {
    const april = localDayBounds('2026-04-01', TZ).startMs;
    expect(parseIsoInstant(before.watermark!)).toBe(april);
    expect(parseIsoInstant(after.watermark!)).toBe(april);
    for (const body of [after.meterDays, after.gridDays, after.billing.body])
      expect(parseIsoInstant(body.watermark!)).toBe(april);
  });

  it('keeps every March meter-day, quarter-hour and the month authoritative with the same values', () => {
    const march = (b: MeterSeriesResponse) => b.points.filter((p) => p.start >= '2026-03-01');
    expect(march(before.meterDays)).toHaveLength(31);
    expect(march(before.meterDays).every((p) => p.status === 'authoritative' && p.kwh !== null)).toBe(true);
    expect(march(after.meterDays)).toEqual(march(before.meterDays));
    expect(before.meterQuarterHours.points).toHaveLength(96);
    expect(before.meterQuarterHours.points.every((p) => p.status === 'authoritative')).toBe(true);
    expect(after.meterQuarterHours.points).toEqual(before.meterQuarterHours.points);
    expect(before.meterMonths.points).toHaveLength(1);
    expect(before.meterMonths.points[0]).toMatchObject({ status: 'authoritative' });
    expect(after.meterMonths.points).toEqual(before.meterMonths.points);
  });

  it('keeps every March grid-day authoritative with the same values', () => {
    expect(before.gridDays.points).toHaveLength(31);
    expect(before.gridDays.points.every((p) => p.status === 'authoritative' && p.kwh !== null)).toBe(true);
    expect(after.gridDays.points).toEqual(before.gridDays.points);
  });

  it('makes the late day authoritative, equal to the truth', () => {
    const meter = fleet.topology[0]!.meter_id;
    const bucket = (b: MeterSeriesResponse) => b.points.find((p) => p.start.startsWith(LATE_DAY))!;
    expect(bucket(before.meterDays)).toMatchObject({ status: 'missing', kwh: null });
    const { startMs, endMs } = localDayBounds(LATE_DAY, TZ);
    let want = 0;
    for (let t = startMs; t < endMs; t += 900_000) want += truth.get(`${meter}|${t}`)!;
    const p = bucket(after.meterDays);
    expect({ status: p.status, wh: wh(p.kwh), actual: p.quality.actual }).toEqual({
      status: 'authoritative',
      wh: want,
      actual: 96,
    });
    // the day before it was never published and the realtime view holds nothing: still missing
    expect(after.meterDays.points[0]).toMatchObject({
      start: '2026-02-09T00:00:00+01:00',
      status: 'missing',
    });
  });

  it('keeps billing for March final, with the same determinants', () => {
    expect(before.billing.status).toBe(200);
    expect(after.billing.status).toBe(200);
    expect(before.billing.body.determinants).toHaveLength(fleet.topology.length);
    expect(after.billing.body.determinants).toEqual(before.billing.body.determinants);
    expect(after.billing.body.view_version).toBe(before.billing.body.view_version);
  });
});
