/**
 * Series routes against real Redis, MinIO and DuckDB: batch views published with CatalogPublisher
 * (Parquet written by DuckDB in the view schemas), the realtime view written through the speed
 * layer's own apply path (toApplyRead + applyChunk), the route module on a bare Fastify instance
 * (authorize admits everyone: auth is the app's). Checks values and labels on both sides of the
 * watermark for every step, the DST day, version and watermark in the body, requests racing a
 * publish (each answer is wholly one version), and the 400s.
 *
 * Data (Europe/Stockholm): batch days 2026-03-29 (DST, 92 intervals), 03-30, 03-31 → watermark
 * 2026-04-01T00:00+02:00. Realtime: M1 on 03-31 (999 Wh, must be ignored: batch covers it), 04-01
 * slots 0–7 (40 Wh); M2 on 04-01 slot 0 (41 Wh). Later 04-01 is published (M1 50 Wh per slot) and
 * a realtime read lands on 04-02.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogPublisher, type PartitionInput } from '@ami/batch-layer/catalog';
import { CatalogReader, DAILY_VIEWS, MONTHLY_VIEWS, type ViewName } from '@ami/shared/catalog';
import {
  createRedis,
  createS3,
  openDuckDB,
  S3ObjectCache,
  sqlPath,
  withConnection,
  type DuckDBInstance,
} from '@ami/shared/clients';
import { intervalsInLocalDay, localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import type { MeterSeriesResponse, GridSeriesResponse } from '../src/routes/series.ts';
import { seriesRoutes } from '../src/routes/series.ts';
import type { RouteContext, ServingDeps } from '../src/routes/context.ts';
import { DuckDBPool } from '../src/sources/duckdb-pool.ts';
import { applyToRealtimeView, intervalReadMessage } from '@ami/speed-layer/testing';

const TZ = 'Europe/Stockholm';
const Q = 900_000;
const PARTITIONS = 3;
const NOW = Date.UTC(2026, 3, 3);
const start = (date: string) => localDayBounds(date, TZ).startMs;
const slots = (date: string) => intervalsInLocalDay(date, TZ);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Batch value of M1 on the published days: [wh, class] per slot. */
function m1Batch(date: string, slot: number): [number, 'A' | 'E' | 'X'] {
  if (date === '2026-03-29') return slot === 5 ? [25, 'E'] : slot === 6 ? [0, 'X'] : [20, 'A'];
  if (date === '2026-03-30') return [10, 'A'];
  if (date === '2026-03-31') return [30, 'A'];
  return [50, 'A']; // 2026-04-01, published later
}

describe('series routes on Redis + MinIO + DuckDB', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'series-it' });
  const root = `it/${uniqueName('series')}/`;
  const rvPrefix = uniqueName('rv')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .slice(0, 32);
  const work = mkdtempSync(join(tmpdir(), 'ami-series-it-'));
  let db: DuckDBInstance;
  let pool: DuckDBPool | undefined;
  let app: FastifyInstance;
  let publisher: CatalogPublisher;

  const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const ts = (ms: number) => `make_timestamptz(${ms}::BIGINT * 1000)`;

  async function writeParquet(path: string, columns: string, rows: string[], order: string) {
    mkdirSync(dirname(path), { recursive: true });
    const select = `SELECT * FROM (VALUES ${rows.join(', ')}) t(${columns}) ORDER BY ${order}`;
    await withConnection(db, (c) => c.run(`COPY (${select}) TO ${sqlPath(path)} (FORMAT parquet)`));
    return { path, rows: rows.length };
  }

  /** Every view of `date` (and its month, month to date over `monthDays`), published in one commit. */
  async function publishDay(date: string, monthDays: string[]) {
    const dir = join(work, date);
    const iv: string[] = [];
    const daily: string[] = [];
    const grid: string[] = [];
    for (const meter of ['M1', 'M2']) {
      for (const s of range(slots(date))) {
        const [wh, q] = meter === 'M1' ? m1Batch(date, s) : ([5, 'A'] as const);
        iv.push(
          `(${lit(meter)}, ${lit(`SP-${meter}`)}, ${ts(start(date) + s * Q)}, ${wh}::BIGINT, ${lit(q)}, ` +
            `${lit(q === 'A' ? 'NONE' : 'EST')}, ${lit(q === 'A' ? 'NONE' : 'R')}, ${q === 'X' ? 'NULL' : wh}::BIGINT, NULL::VARCHAR)`,
        );
      }
    }
    const dayFigures = (meter: string, d: string) => {
      const c = { wh: 0, actual: 0, estimated: 0, missing: 0 };
      for (const s of range(slots(d))) {
        const [wh, q] = meter === 'M1' ? m1Batch(d, s) : ([5, 'A'] as const);
        c.wh += wh;
        if (q === 'A') c.actual++;
        else if (q === 'E') c.estimated++;
        else c.missing++;
      }
      return c;
    };
    for (const meter of ['M1', 'M2']) {
      const c = dayFigures(meter, date);
      daily.push(
        `(${lit(meter)}, ${lit(`SP-${meter}`)}, 'T1', ${c.wh}::BIGINT, ${slots(date)}, ${c.actual}, ${c.estimated}, 0, ${c.missing}, 0)`,
      );
    }
    const monthly = ['M1', 'M2'].map((meter) => {
      const sum = { wh: 0, slots: 0, actual: 0, estimated: 0, missing: 0 };
      for (const d of monthDays) {
        const c = dayFigures(meter, d);
        sum.wh += c.wh;
        sum.slots += slots(d);
        sum.actual += c.actual;
        sum.estimated += c.estimated;
        sum.missing += c.missing;
      }
      return `(${lit(meter)}, ${lit(`SP-${meter}`)}, ${sum.wh}::BIGINT, ${monthDays.length}, ${sum.slots}, ${sum.actual}, ${sum.estimated}, 0, ${sum.missing}, 0)`;
    });
    for (const s of range(slots(date))) {
      const [wh1, q1] = m1Batch(date, s);
      const reported = q1 === 'X' ? 1 : 2;
      const actual = q1 === 'A' ? 2 : 1;
      grid.push(
        `('transformer', 'T1', ${ts(start(date) + s * Q)}, ${wh1 + 5}::BIGINT, 2, ${reported}, ${q1 === 'E' ? 1 : 0}, 0, ${q1 === 'X' ? 1 : 0}, 0, ${actual === 2 ? 231.5 : 230.0}::DOUBLE, 229.0::DOUBLE, 234.0::DOUBLE)`,
      );
    }
    const files: Partial<Record<ViewName, { path: string; rows: number }>> = {
      intervals_validated: await writeParquet(
        join(dir, 'iv.parquet'),
        'meter_id, service_point_id, interval_start, wh, quality, method, reason, original_wh, edit_id',
        iv,
        'meter_id, interval_start',
      ),
      meter_daily: await writeParquet(
        join(dir, 'md.parquet'),
        'meter_id, service_point_id, transformer_id, wh, slots, actual, estimated, edited, missing, outage',
        daily,
        'meter_id',
      ),
      meter_monthly: await writeParquet(
        join(dir, 'mm.parquet'),
        'meter_id, service_point_id, wh, days, slots, actual, estimated, edited, missing, outage',
        monthly,
        'meter_id',
      ),
      grid_15m: await writeParquet(
        join(dir, 'grid.parquet'),
        'level, entity_id, interval_start, wh, meters_total, meters_reported, estimated, edited, missing, outage, voltage_avg, voltage_min, voltage_max',
        grid,
        'level, entity_id, interval_start',
      ),
    };
    const inputs: PartitionInput[] = [
      ...DAILY_VIEWS.map((view) => ({
        view,
        partition: `date=${date}`,
        files: files[view] ? [files[view]] : [],
      })),
      ...MONTHLY_VIEWS.map((view) => ({
        view,
        partition: `month=${date.slice(0, 7)}`,
        files: files[view] ? [files[view]] : [],
      })),
    ];
    return publisher.publish(inputs, { cause: 'nightly' });
  }

  /** Applies interval reads to the realtime view exactly as the speed layer does. */
  async function applyReads(
    reads: { meter: string; date: string; slot: number; wh: number; voltage?: number }[],
  ) {
    await applyToRealtimeView(
      redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: TZ, nowMs: NOW, maxEventMs: NOW - 86_400_000 },
      reads.map((r) => ({
        message: intervalReadMessage({
          meterId: r.meter,
          startMs: start(r.date) + r.slot * Q,
          wh: r.wh,
          transformerId: 'T1',
          feederId: 'F1',
          voltage: r.voltage,
        }),
        attribution: { transformerId: 'T1', feederId: 'F1', substationId: 'S1', region: 'R1' },
      })),
    );
  }

  async function get<T>(url: string): Promise<{ status: number; body: T }> {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json<T>() };
  }
  const q = (from: string, to: string, step: string) =>
    `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&step=${step}`;

  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
    publisher = new CatalogPublisher({
      s3,
      bucket,
      prefix: `${root}cat/`,
      timeZone: TZ,
      retentionMs: 86_400_000,
    });
    await publishDay('2026-03-29', ['2026-03-29']);
    await publishDay('2026-03-30', ['2026-03-29', '2026-03-30']);
    await publishDay('2026-03-31', ['2026-03-29', '2026-03-30', '2026-03-31']);
    await applyReads([
      ...range(4).map((slot) => ({ meter: 'M1', date: '2026-03-31', slot: 92 + slot, wh: 999 })),
      ...range(8).map((slot) => ({ meter: 'M1', date: '2026-04-01', slot, wh: 40, voltage: 236 })),
      { meter: 'M2', date: '2026-04-01', slot: 0, wh: 41, voltage: 226 },
    ]);
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
    pool = new DuckDBPool(db, 4);
    const ctx: RouteContext = { deps, pool, authorize: () => () => Promise.resolve() };
    app = Fastify();
    await seriesRoutes(app, ctx);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    pool?.close();
    const { deletePrefix } = await import('../../../test/support/s3.ts');
    await deletePrefix(s3, bucket, root);
    const keys = await redis.keys(`{${rvPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    db?.closeSync();
    rmSync(work, { recursive: true, force: true });
  });

  it('15m: authoritative before the watermark, provisional after, missing where nothing arrived', async () => {
    const { status, body } = await get<MeterSeriesResponse>(
      `/v1/meters/M1/series?${q('2026-03-31T23:00:00+02:00', '2026-04-01T02:30:00+02:00', '15m')}`,
    );
    expect(status).toBe(200);
    expect(body.version).toBe('v3');
    expect(body.watermark).toBe('2026-03-31T22:00:00Z');
    expect(body.from).toBe('2026-03-31T23:00:00+02:00');
    expect(body.points).toHaveLength(14);
    // the realtime view's 999 Wh on 03-31 is ignored: the batch covers that day
    expect(body.points.slice(0, 4).map((p) => [p.status, p.kwh])).toEqual(
      range(4).map(() => ['authoritative', 0.03]),
    );
    expect(body.points.slice(4, 12).map((p) => [p.status, p.kwh])).toEqual(
      range(8).map(() => ['provisional', 0.04]),
    );
    expect(body.points.slice(12).map((p) => [p.status, p.kwh])).toEqual([
      ['missing', null],
      ['missing', null],
    ]);
    expect(body.points[4]).toEqual({
      start: '2026-04-01T00:00:00+02:00',
      end: '2026-04-01T00:15:00+02:00',
      kwh: 0.04,
      status: 'provisional',
      quality: { actual: 1, estimated: 0, edited: 0, missing: 0, outage: 0 },
    });
  });

  it('1h on the 23-hour DST day carries the batch classes', async () => {
    const { body } = await get<MeterSeriesResponse>(
      `/v1/meters/M1/series?${q('2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00', '1h')}`,
    );
    expect(body.points).toHaveLength(23);
    expect(body.points.every((p) => p.status === 'authoritative')).toBe(true);
    expect(body.points[1]).toMatchObject({
      start: '2026-03-29T01:00:00+01:00',
      end: '2026-03-29T03:00:00+02:00',
      kwh: 0.065,
      quality: { actual: 2, estimated: 1, edited: 0, missing: 1, outage: 0 },
    });
    expect(body.points[2]!.start).toBe('2026-03-29T03:00:00+02:00');
  });

  it('1d and 1mo: local days (92 intervals) and months, month to date from meter_monthly', async () => {
    const days = await get<MeterSeriesResponse>(
      `/v1/meters/M1/series?${q('2026-03-29T00:00:00+01:00', '2026-04-03T00:00:00+02:00', '1d')}`,
    );
    expect(days.body.points.map((p) => [p.start.slice(0, 10), p.status, p.kwh])).toEqual([
      ['2026-03-29', 'authoritative', 1.825],
      ['2026-03-30', 'authoritative', 0.96],
      ['2026-03-31', 'authoritative', 2.88],
      ['2026-04-01', 'provisional', 0.32],
      ['2026-04-02', 'missing', null],
    ]);
    expect(days.body.points[0]!.quality).toEqual({
      actual: 90,
      estimated: 1,
      edited: 0,
      missing: 1,
      outage: 0,
    });
    expect(days.body.points[3]!.quality).toMatchObject({ actual: 8, missing: 88 });

    const months = await get<MeterSeriesResponse>(
      `/v1/meters/M1/series?${q('2026-03-01T00:00:00+01:00', '2026-05-01T00:00:00+02:00', '1mo')}`,
    );
    expect(months.body.points.map((p) => [p.start, p.status, p.kwh])).toEqual([
      ['2026-03-01T00:00:00+01:00', 'authoritative', 5.665],
      ['2026-04-01T00:00:00+02:00', 'provisional', 0.32],
    ]);
    // March: 2,972 intervals, 284 published (90 + 96 + 96 actual, 1 estimated, 1 missing), the rest missing
    expect(months.body.points[0]!.quality).toEqual({
      actual: 282,
      estimated: 1,
      edited: 0,
      missing: 2972 - 283,
      outage: 0,
    });
  });

  it('grid: energy, receipt rate and voltage on both sides of the watermark', async () => {
    const { status, body } = await get<GridSeriesResponse>(
      `/v1/grid/transformer/T1/series?${q('2026-03-31T23:30:00+02:00', '2026-04-01T00:30:00+02:00', '15m')}`,
    );
    expect(status).toBe(200);
    expect(body.version).toBe('v3');
    expect(
      body.points.map((p) => [p.status, p.kwh, p.meters_total, p.meters_reported, p.receipt_rate]),
    ).toEqual([
      ['authoritative', 0.035, 2, 2, 1],
      ['authoritative', 0.035, 2, 2, 1],
      ['provisional', 0.081, 2, 2, 1],
      ['provisional', 0.04, 2, 1, 0.5],
    ]);
    expect(body.points[0]!.voltage).toEqual({ avg: 231.5, min: 229, max: 234 });
    expect(body.points[2]!.voltage).toEqual({ avg: 231, min: 226, max: 236 });

    const hourly = await get<GridSeriesResponse>(
      `/v1/grid/transformer/T1/series?${q('2026-04-01T00:00:00+02:00', '2026-04-01T03:00:00+02:00', '1h')}`,
    );
    expect(hourly.body.points.map((p) => [p.status, p.kwh, p.receipt_rate])).toEqual([
      ['provisional', 0.201, 0.625],
      ['provisional', 0.16, 0.5],
      ['missing', null, null],
    ]);
  });

  it('answers 400 for bad ids, steps, instants and ranges; an unknown meter gets missing points', async () => {
    const ok = q('2026-03-31T00:00:00+02:00', '2026-04-01T00:00:00+02:00', '1h');
    expect((await get(`/v1/meters/${encodeURIComponent('bad id!')}/series?${ok}`)).status).toBe(400);
    expect((await get(`/v1/grid/pole/T1/series?${ok}`)).status).toBe(400);
    expect(
      (await get(`/v1/meters/M1/series?${q('2026-03-31T00:00:00+02:00', '2026-04-01T00:00:00+02:00', '2h')}`))
        .status,
    ).toBe(400);
    expect(
      (await get(`/v1/meters/M1/series?${q('2026-03-31T00:00:00', '2026-04-01T00:00:00+02:00', '1h')}`))
        .status,
    ).toBe(400);
    expect(
      (await get(`/v1/meters/M1/series?${q('2026-04-01T00:00:00+02:00', '2026-04-01T00:00:00+02:00', '1h')}`))
        .status,
    ).toBe(400);
    const long = await get<{ message: string }>(
      `/v1/meters/M1/series?${q('2026-01-01T00:00:00+01:00', '2026-03-01T00:00:00+01:00', '15m')}`,
    );
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(
      /^query parameter "to" must be at most 31 days after "from" with step 15m/,
    );
    // out-of-range instants answered 500 (RangeError) before: 400 on both series routes, edges served
    for (const [from, to] of [
      ['9999-12-31T00:00:00Z', '9999-12-31T12:00:00Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T12:00:00Z'],
    ] as const) {
      for (const path of ['/v1/meters/M1/series', '/v1/grid/transformer/T1/series']) {
        const r = await get<{ message: string }>(`${path}?${q(from, to, '1h')}`);
        expect(r.status, `${path} ${from}`).toBe(400);
        expect(r.body.message).toMatch(
          /^query parameter "from" must be at or after 0002-01-01T00:00:00Z and before 9999-01-01T00:00:00Z/,
        );
      }
    }
    for (const [from, to, step] of [
      ['9998-12-01T00:00:00Z', '9998-12-31T23:00:00Z', '1mo'],
      ['0002-01-01T00:00:00Z', '0002-01-31T00:00:00Z', '1d'],
      ['9998-12-31T00:00:00Z', '9998-12-31T23:45:00Z', '15m'],
    ] as const) {
      const edge = await get<MeterSeriesResponse>(`/v1/meters/M1/series?${q(from, to, step)}`);
      expect(edge.status, `${from} ${step}`).toBe(200);
    }
    const unknown = await get<MeterSeriesResponse>(`/v1/meters/NOBODY/series?${ok}`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.points.every((p) => p.status === 'missing' && p.kwh === null)).toBe(true);
  });

  it('concurrent requests racing a publish each answer from one version', async () => {
    const url = `/v1/meters/M1/series?${q('2026-03-31T00:00:00+02:00', '2026-04-03T00:00:00+02:00', '1d')}`;
    const before = (await get<MeterSeriesResponse>(url)).body;
    expect(before.points.map((p) => [p.status, p.kwh])).toEqual([
      ['authoritative', 2.88],
      ['provisional', 0.32],
      ['missing', null],
    ]);
    await applyReads([{ meter: 'M1', date: '2026-04-02', slot: 0, wh: 60 }]);
    // waves of concurrent requests while the publish runs, one more after it
    let published = false;
    const publish = publishDay('2026-04-01', ['2026-04-01']).then(() => {
      published = true;
    });
    const bodies: MeterSeriesResponse[] = [];
    do {
      const wave = await Promise.all(Array.from({ length: 4 }, () => get<MeterSeriesResponse>(url)));
      bodies.push(...wave.map((r) => r.body));
    } while (!published);
    await publish;
    const afterWave = await Promise.all(Array.from({ length: 4 }, () => get<MeterSeriesResponse>(url)));
    bodies.push(...afterWave.map((r) => r.body));
    const after = (await get<MeterSeriesResponse>(url)).body;
    const v3 = [
      ['authoritative', 2.88],
      ['provisional', 0.32],
      ['provisional', 0.06],
    ];
    const v4 = [
      ['authoritative', 2.88],
      ['authoritative', 4.8],
      ['provisional', 0.06],
    ];
    expect(after.version).toBe('v4');
    expect(after.watermark).toBe('2026-04-01T22:00:00Z');
    expect(after.points.map((p) => [p.status, p.kwh])).toEqual(v4);
    console.log('versions', bodies.map((b) => b.version).join(','));
    for (const b of bodies) {
      const points = b.points.map((p) => [p.status, p.kwh]);
      if (b.version === 'v3') {
        expect(b.watermark).toBe('2026-03-31T22:00:00Z');
        expect(points).toEqual(v3);
      } else {
        expect(b.version).toBe('v4');
        expect(b.watermark).toBe('2026-04-01T22:00:00Z');
        expect(points).toEqual(v4);
      }
    }

    // April now straddles the watermark: 04-01 from meter_daily, 04-02 from the realtime view
    const months = await get<MeterSeriesResponse>(
      `/v1/meters/M1/series?${q('2026-03-01T00:00:00+01:00', '2026-05-01T00:00:00+02:00', '1mo')}`,
    );
    expect(months.body.points.map((p) => [p.status, p.kwh])).toEqual([
      ['authoritative', 5.665],
      ['provisional', 4.86],
    ]);
    expect(months.body.points[1]!.quality).toMatchObject({ actual: 97, missing: 30 * 96 - 97 });
  });
});
