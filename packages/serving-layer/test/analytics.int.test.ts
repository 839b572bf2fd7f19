/**
 * Analytics aggregate against real Redis, MinIO and DuckDB through the real app (auth included):
 * batch views of 2 days published with CatalogPublisher (bench/lib/fleet.ts writes them in the view
 * schemas), realtime reads after the watermark applied through the speed layer's apply path.
 *
 * Fleet: 60 meters (makeFleet): transformers T-0..2, feeders F-0 (T-0..T-2... 20 meters per
 * transformer, 5 transformers per feeder → one feeder), so the fleet is split for the test into
 * regions by overriding attribution: meters 0–29 in R-A/F-A/S-A, 30–59 in R-B/F-B/S-B.
 * Batch days 2026-03-30, 03-31 (Europe/Stockholm) → watermark 2026-04-01T00:00+02:00.
 * Realtime: every meter, 2026-04-01 slots 0–3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogReader } from '@ami/shared/catalog';
import { createRedis, createS3, openDuckDB, S3ObjectCache, type DuckDBInstance } from '@ami/shared/clients';
import { intervalsInLocalDay } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { applyFleetReads, makeFleet, publishFleetViews, whOf, type FleetMeter } from '../bench/lib/fleet.ts';
import { analyticsRoutes, type AggregateResponse } from '../src/routes/analytics.ts';
import type { ServingDeps } from '../src/routes/context.ts';
import { buildTestApi, type TestApi } from './support/app.ts';

const TZ = 'Europe/Stockholm';
const PARTITIONS = 3;
const NOW = Date.UTC(2026, 3, 2);
const DATES = ['2026-03-30', '2026-03-31'];

const fleet: FleetMeter[] = makeFleet(60).map((f, m) => {
  const side = m < 30 ? 'A' : 'B';
  return { ...f, region: `R-${side}`, feederId: `F-${side}`, substationId: `S-${side}` };
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Wh of meters `ms` over slots [a, b) of a day. */
const whSum = (ms: number[], a: number, b: number) =>
  ms.reduce((t, m) => t + range(b - a).reduce((u, k) => u + whOf(m, a + k), 0), 0);
const metersWhere = (p: (f: FleetMeter) => boolean) => range(60).filter((m) => p(fleet[m]!));

describe('analytics aggregate on Redis + MinIO + DuckDB', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'analytics-it' });
  const root = `it/${uniqueName('analytics')}/`;
  const rvPrefix = uniqueName('rv')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .slice(0, 32);
  const work = mkdtempSync(join(tmpdir(), 'ami-analytics-it-'));
  let db: DuckDBInstance;
  let api: TestApi;

  const get = async (query: string, role: 'analyst' | 'dashboard' = 'analyst') =>
    api.app.inject({
      method: 'GET',
      url: `/v1/analytics/aggregate?${query}`,
      headers: { 'x-api-key': api.keys[role] },
    });
  const day = '&from=2026-03-30T00:00:00%2B02:00&to=2026-04-02T00:00:00%2B02:00&step=1d';

  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
    await publishFleetViews({
      db,
      s3,
      bucket,
      prefix: `${root}cat/`,
      timeZone: TZ,
      dir: join(work, 'views'),
      fleet,
      dates: DATES,
    });
    await applyFleetReads(
      redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: TZ, nowMs: NOW },
      fleet.flatMap((meter, m) => range(4).map((slot) => ({ meter, m, date: '2026-04-01', slot }))),
    );
    const cache = new S3ObjectCache({ s3, bucket, dir: join(work, 'cache') });
    const deps: ServingDeps = {
      redis,
      catalog: new CatalogReader({ s3, bucket, prefix: `${root}cat/`, cache, refreshMs: 0 }),
      db,
      timeZone: TZ,
      realtimePrefix: rvPrefix,
      partitions: PARTITIONS,
      now: () => NOW,
    };
    api = await buildTestApi({ deps, routes: [analyticsRoutes] });
    await api.app.ready();
  });

  afterAll(async () => {
    await api?.app.close();
    const { deletePrefix } = await import('../../../test/support/s3.ts');
    await deletePrefix(s3, bucket, root);
    const keys = await redis.keys(`{${rvPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    db?.closeSync();
    rmSync(work, { recursive: true, force: true });
  });

  it('region energy per day: authoritative before the watermark, provisional after, missing where nothing arrived', async () => {
    const res = await get(`metric=energy_kwh&groupBy=region${day}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<AggregateResponse>();
    expect(body.watermark).toBe('2026-03-31T22:00:00Z');
    expect(body.groups).toEqual(['R-A', 'R-B']);
    const a = metersWhere((f) => f.region === 'R-A');
    const n = intervalsInLocalDay('2026-03-30', TZ);
    expect(body.rows.filter((r) => r.group === 'R-A').map((r) => [r.start, r.status, r.value])).toEqual([
      ['2026-03-30T00:00:00+02:00', 'authoritative', whSum(a, 0, n) / 1000],
      ['2026-03-31T00:00:00+02:00', 'authoritative', whSum(a, 0, n) / 1000],
      ['2026-04-01T00:00:00+02:00', 'provisional', whSum(a, 0, 4) / 1000],
    ]);
  });

  it('feeder meters_reported and receipt rate at 15m across the watermark', async () => {
    const q = 'groupBy=feeder&step=15m&from=2026-03-31T23:30:00%2B02:00&to=2026-04-01T01:30:00%2B02:00';
    const reported = (await get(`metric=meters_reported&${q}`)).json<AggregateResponse>();
    const fa = reported.rows.filter((r) => r.group === 'F-A');
    expect(fa.map((r) => [r.status, r.value])).toEqual([
      ['authoritative', 30],
      ['authoritative', 30],
      ...range(4).map(() => ['provisional', 30]),
      ['missing', null],
      ['missing', null],
    ]);
    const rate = (await get(`metric=receipt_rate&${q}`)).json<AggregateResponse>();
    expect(rate.rows.filter((r) => r.group === 'F-B').map((r) => r.value)).toEqual([
      1,
      1,
      1,
      1,
      1,
      1,
      null,
      null,
    ]);
  });

  it('segment from the meter views: authoritative days, missing after the watermark with a reason', async () => {
    const res = (await get(`metric=energy_kwh&groupBy=segment${day}`)).json<AggregateResponse>();
    expect(res.groups).toEqual(['commercial', 'industrial', 'residential']);
    const com = metersWhere((f) => f.segment === 'commercial');
    const n = intervalsInLocalDay('2026-03-30', TZ);
    expect(
      res.rows.filter((r) => r.group === 'commercial').map((r) => [r.status, r.value, r.reason]),
    ).toEqual([
      ['authoritative', whSum(com, 0, n) / 1000, null],
      ['authoritative', whSum(com, 0, n) / 1000, null],
      ['missing', null, 'no_realtime_aggregate'],
    ]);
  });

  it('filters narrow the groups (region for feeders; tariff and region for segments)', async () => {
    const feeders = (
      await get(`metric=energy_kwh&groupBy=feeder&region=R-B${day}`)
    ).json<AggregateResponse>();
    expect(feeders.groups).toEqual(['F-B']);
    const seg = (
      await get(`metric=energy_kwh&groupBy=segment&tariff=tou&region=R-A${day}`)
    ).json<AggregateResponse>();
    const ms = metersWhere((f) => f.tariff === 'tou' && f.region === 'R-A' && f.segment === 'industrial');
    const n = intervalsInLocalDay('2026-03-30', TZ);
    expect(seg.rows.find((r) => r.group === 'industrial')?.value).toBe(whSum(ms, 0, n) / 1000);
    const none = (await get(`metric=energy_kwh&groupBy=region&region=R-Z${day}`)).json<AggregateResponse>();
    expect(none.rows).toEqual([]);
  });

  it('csv and arrow carry the same rows as json', async () => {
    const json = (await get(`metric=energy_kwh&groupBy=region${day}`)).json<AggregateResponse>();
    const csv = await get(`metric=energy_kwh&groupBy=region${day}&format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('group,start,end,value,status,reason');
    expect(lines.slice(1)).toEqual(
      json.rows.map((r) => [r.group, r.start, r.end, r.value ?? '', r.status, ''].join(',')),
    );
    const arrow = await get(`metric=energy_kwh&groupBy=region${day}&format=arrow`);
    expect(arrow.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    expect(arrow.headers['x-ami-watermark']).toBe('2026-03-31T22:00:00Z');
    const table = tableFromIPC(arrow.rawPayload);
    expect(table.numRows).toBe(json.rows.length);
    expect(
      table
        .toArray()
        .map((r: { group: string; value: number | null; status: string }) => [r.group, r.value, r.status]),
    ).toEqual(json.rows.map((r) => [r.group, r.value, r.status]));
  });

  it('400s: combinations, limits, hostile filters; 403 for other roles', async () => {
    const cases: [string, RegExp][] = [
      [`metric=voltage_avg&groupBy=segment${day}`, /voltage_avg/],
      [`metric=energy_kwh&groupBy=region&segment=residential${day}`, /segment/],
      [`metric=energy_kwh&groupBy=region&feeder=F-A${day}`, /finer/],
      [`metric=energy_kwh&groupBy=region&region=${encodeURIComponent("x' OR 1=1 --")}${day}`, /./],
      [`metric=energy_kwh&groupBy=region&segment=${encodeURIComponent('residential;DROP')}${day}`, /./],
      [`metric=energy_kwh&groupBy=region&bogus=1${day}`, /./],
      [
        'metric=energy_kwh&groupBy=segment&step=1d&from=2026-01-01T00:00:00Z&to=2026-04-30T00:00:00Z',
        /MAX_METER_VIEW_DAYS/,
      ],
      [
        'metric=energy_kwh&groupBy=region&step=15m&from=2026-01-01T00:00:00Z&to=2026-04-30T00:00:00Z',
        /at most 31 days/,
      ],
      [
        'metric=energy_kwh&groupBy=region&step=1h&from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z',
        /^query parameter "to" must be after "from"/,
      ],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json<{ error: string; message: string }>().message, query).toMatch(message);
    }
    expect((await get(`metric=energy_kwh&groupBy=region${day}`, 'dashboard')).statusCode).toBe(403);
  });
});
