/**
 * GET /v1/realtime/voltage on real Redis, MinIO and DuckDB: interval reads with known voltages are
 * applied to a realtime view through the speed layer's apply path (two feeders, windows on both
 * sides of a local midnight), the feeder roster comes from a published meter_daily partition, and
 * the alert engine's watermark report decides the last window. Every cell is checked against the
 * voltages put in; a stale engine report falls back to the clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogPublisher } from '@ami/batch-layer/catalog';
import { datePartition } from '@ami/shared/catalog';
import { sqlPath, withConnection } from '@ami/shared/clients';
import { INTERVAL_MS, formatIsoOffset, localDayBounds } from '@ami/shared/time';
import {
  applyToRealtimeView,
  intervalReadMessage,
  reportAlertWatermark,
  type SeedRead,
} from '@ami/speed-layer/testing';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { featureRoutes } from '../src/app.ts';
import type { VoltageResponse } from '../src/dashboard/routes.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix } from './support/catalog.ts';

const TZ = 'Europe/Stockholm';
const DAY = '2026-03-02';
const MIDNIGHT = localDayBounds(DAY, TZ).startMs;
/** The four windows asked for: 23:30, 23:45 (the day before), 00:00, 00:15. */
const STARTS = [-2, -1, 0, 1].map((k) => MIDNIGHT + k * INTERVAL_MS);

/** meter → [transformer, feeder] (the roster published in meter_daily of the day before). */
const METERS: Record<string, [string, string]> = {
  'MTR-A1': ['TX-A', 'FDR-A'],
  'MTR-A2': ['TX-A', 'FDR-A'],
  'MTR-B1': ['TX-B', 'FDR-A'],
  'MTR-C1': ['TX-C', 'FDR-B'],
};
/** Voltage per meter and window (null: no read in that window). */
const VOLTS: Record<string, (number | null)[]> = {
  'MTR-A1': [229.5, 231.25, 228, 240],
  'MTR-A2': [230.5, null, 226.1, 250.02],
  'MTR-B1': [null, null, 205.4, 231],
  'MTR-C1': [233, 233, 233, 233],
};

describe('GET /v1/realtime/voltage (real Redis, MinIO, DuckDB)', () => {
  const config = integrationConfig({ AMI_TIMEZONE: TZ });
  const rvPrefix = uniqueName('rvv')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32);
  const alertPrefix = uniqueName('alv')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32);
  const dir = mkdtempSync(join(tmpdir(), 'ami-voltage-it-'));
  const nowMs = MIDNIGHT + 3 * 3_600_000;
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-voltage')}/`);
    const reads: SeedRead[] = [];
    for (const [meterId, [transformerId, feederId]] of Object.entries(METERS))
      VOLTS[meterId]!.forEach((voltage, i) => {
        if (voltage === null) return;
        reads.push({
          message: intervalReadMessage({
            meterId,
            startMs: STARTS[i]!,
            wh: 100,
            transformerId,
            feederId,
            voltage,
          }),
          attribution: { transformerId, feederId, substationId: 'SUB-1', region: 'REG-N' },
        });
      });
    await applyToRealtimeView(
      deps.deps.redis,
      { keyPrefix: rvPrefix, partitions: deps.deps.partitions, timeZone: TZ, nowMs },
      reads,
    );
    // the roster: meter_daily of the day before, published with the real catalog publisher
    const path = join(dir, 'meter_daily.parquet');
    const rows = Object.entries(METERS)
      .map(([m, [t, f]]) => `('${m}', '${t}', '${f}')`)
      .join(', ');
    await withConnection(deps.deps.db, (c) =>
      c.run(
        `COPY (SELECT * FROM (VALUES ${rows}) v(meter_id, transformer_id, feeder_id)) TO ${sqlPath(path)} (FORMAT parquet)`,
      ),
    );
    await new CatalogPublisher({
      s3: deps.s3,
      bucket: deps.bucket,
      prefix: deps.prefix,
      timeZone: TZ,
      retentionMs: 86_400_000,
    }).publish(
      [{ view: 'meter_daily', partition: datePartition('2026-03-01'), files: [{ path, rows: 4 }] }],
      { cause: 'test' },
    );
    api = await buildTestApi({
      deps: {
        ...deps.deps,
        realtimePrefix: rvPrefix,
        alertKeyPrefix: alertPrefix,
        now: () => nowMs,
        timeZone: TZ,
      },
      routes: featureRoutes,
    });
  });

  afterAll(async () => {
    await api?.app.close();
    const keys = [
      ...(await deps.deps.redis.keys(`{${rvPrefix}:*`)),
      ...(await deps.deps.redis.keys(`{${alertPrefix}}*`)),
    ];
    if (keys.length > 0) await deps.deps.redis.del(...keys);
    await deletePrefix(deps.s3, deps.bucket, deps.prefix);
    await deps.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (query: string) => {
    const res = await api.app.inject({
      url: `/v1/realtime/voltage?${query}`,
      headers: { 'x-api-key': api.keys.operator },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<VoltageResponse>();
  };

  /** The expected cell of a transformer in window i, from the voltages put in. */
  const cell = (tx: string, i: number) => {
    const vs = Object.entries(METERS)
      .filter(([, [t]]) => t === tx)
      .map(([m]) => VOLTS[m]![i])
      .filter((v): v is number => v !== null && v !== undefined);
    if (vs.length === 0) return { avg: null, min: null, max: null, meters_reported: 0 };
    const cv = vs.map((v) => Math.round(v * 100));
    return {
      avg: Math.round(cv.reduce((a, b) => a + b, 0) / cv.length) / 100,
      min: Math.min(...cv) / 100,
      max: Math.max(...cv) / 100,
      meters_reported: vs.length,
    };
  };

  it("gives every transformer of the feeder its voltage per window, up to the engine's watermark", async () => {
    // the engine reported a watermark in the 00:15 window: the latest closed window is 00:15–00:30
    const wm = MIDNIGHT + 40 * 60_000;
    await reportAlertWatermark(deps.deps.redis, alertPrefix, 'i1', wm, nowMs - 5_000);
    const body = await get('feeder=FDR-A&windows=4');
    expect(body).toEqual({
      feeder_id: 'FDR-A',
      time_zone: TZ,
      watermark: formatIsoOffset(wm, TZ),
      watermark_source: 'alert-engine',
      roster_date: '2026-03-01',
      limits: { low_v: 207, high_v: 253 },
      windows: STARTS.map((s) => ({
        start: formatIsoOffset(s, TZ),
        end: formatIsoOffset(s + INTERVAL_MS, TZ),
      })),
      transformers: ['TX-A', 'TX-B'].map((tx) => ({
        transformer_id: tx,
        cells: STARTS.map((_, i) => cell(tx, i)),
      })),
    });
    // spot checks of the arithmetic the helper above repeats
    expect(body.transformers[0]!.cells[0]).toEqual({ avg: 230, min: 229.5, max: 230.5, meters_reported: 2 });
    expect(body.transformers[1]!.cells[0]).toEqual({ avg: null, min: null, max: null, meters_reported: 0 });
    expect((await get('feeder=FDR-B&windows=1')).transformers).toEqual([
      { transformer_id: 'TX-C', cells: [cell('TX-C', 3)] },
    ]);
    expect((await get('feeder=FDR-Z&windows=2')).transformers).toEqual([]);
  });

  it('falls back to now − allowed lateness when no engine instance reported recently', async () => {
    await reportAlertWatermark(deps.deps.redis, alertPrefix, 'i1', MIDNIGHT, nowMs - 3_600_000);
    const body = await get('feeder=FDR-A&windows=2');
    expect(body.watermark_source).toBe('clock');
    expect(body.watermark).toBe(formatIsoOffset(nowMs - 600_000, TZ));
    // now − 10 min = 02:50 → the latest closed window is 02:30–02:45; the two are 02:15 and 02:30, no reads
    expect(body.windows.map((w) => w.start)).toEqual(
      [MIDNIGHT + 135 * 60_000, MIDNIGHT + 150 * 60_000].map((s) => formatIsoOffset(s, TZ)),
    );
    expect(body.transformers.flatMap((t) => t.cells.map((c) => c.meters_reported))).toEqual([0, 0, 0, 0]);
  });
});
