/**
 * Reconciliation against real Redis and MinIO on a crafted day: the realtime view is written through
 * the speed layer's own apply path (toApplyRead + applyChunk), the batch views through
 * CatalogPublisher. One window differs because VEE replaced a spike (explained), one because the
 * batch holds an older read (unexplained), one holds a head-end estimate of another value than the
 * realtime view's (unexplained: a head-end estimate VEE kept is no change VEE made); a head-end
 * estimate both sides hold is equal and counted apart. Everything else is equal. An expired or never
 * held provisional day is reported 'unavailable'.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogReader } from '@ami/shared/catalog';
import { createRedis, createS3, openDuckDB, S3ObjectCache, type DuckDBInstance } from '@ami/shared/clients';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { formatIsoUtc, localDayBounds } from '@ami/shared/time';
import { applyToRealtimeView, intervalReadMessage, setRetainFrom } from '@ami/speed-layer/testing';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import {
  readReconciliationReport,
  reconcileDay,
  ReconciliationUnavailableError,
  type ReconcileDeps,
} from '../../src/reconciliation/reconcile.ts';
import { deletePrefix } from '../catalog/support.ts';
import {
  writeGrid15m,
  writeIntervalsValidated,
  writeMeterDaily,
  type IntervalRow,
} from '../restatements/view-files.ts';

const TZ = 'Europe/Stockholm';
const DATE = '2025-03-10';
const OTHER = '2025-03-11';
const Q = 900_000;
const PARTITIONS = 3;
const METERS = { M1: 'T1', M2: 'T1', M3: 'T2' } as const;
type MeterId = keyof typeof METERS;

describe('reconciliation on Redis + MinIO', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'reconcile-it' });
  const root = `it/${uniqueName('reconcile')}/`;
  const rvPrefix = uniqueName('rv')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .slice(0, 32);
  const work = mkdtempSync(join(tmpdir(), 'ami-reconcile-it-'));
  let db: DuckDBInstance;
  let deps: ReconcileDeps;
  const start = (date: string) => localDayBounds(date, TZ).startMs;

  /** Applies interval reads to the realtime view exactly as the speed layer does. */
  async function applyReads(
    reads: { meter: MeterId; slot: number; wh: number; date?: string; estimated?: boolean }[],
  ) {
    const message = (r: (typeof reads)[number]) => {
      const m = JSON.parse(
        intervalReadMessage({
          meterId: r.meter,
          startMs: start(r.date ?? DATE) + r.slot * Q,
          wh: r.wh,
          transformerId: METERS[r.meter],
          feederId: 'F1',
        }),
      ) as Record<string, unknown>;
      return JSON.stringify({ ...m, estimated_flag: r.estimated === true });
    };
    await applyToRealtimeView(
      redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: TZ, nowMs: Date.UTC(2025, 2, 12) },
      reads.map((r) => ({
        message: message(r),
        attribution: { transformerId: METERS[r.meter], feederId: 'F1', substationId: 'S1', region: 'R1' },
      })),
    );
  }

  async function publishDay(
    date: string,
    iv: IntervalRow[],
    grid: { t: string; slot: number; wh: number }[],
  ) {
    const dir = join(work, date);
    const publisher = new CatalogPublisher({
      s3,
      bucket,
      prefix: `${root}cat/`,
      timeZone: TZ,
      retentionMs: 86_400_000,
    });
    const files = {
      iv: await writeIntervalsValidated(db, join(dir, 'iv.parquet'), iv),
      grid: await writeGrid15m(
        db,
        join(dir, 'grid.parquet'),
        grid.flatMap((g) => [
          { level: 'transformer' as const, entityId: g.t, startMs: start(date) + g.slot * Q, wh: g.wh },
          { level: 'feeder' as const, entityId: 'F1', startMs: start(date) + g.slot * Q, wh: 999_999 },
        ]),
      ),
      md: await writeMeterDaily(
        db,
        join(dir, 'md.parquet'),
        (Object.keys(METERS) as MeterId[]).map((m) => ({
          meterId: m,
          servicePointId: `SP-${m}`,
          transformerId: METERS[m],
          wh: 0,
        })),
      ),
    };
    await publisher.publish(
      [
        { view: 'intervals_validated', partition: `date=${date}`, files: [files.iv] },
        { view: 'grid_15m', partition: `date=${date}`, files: [files.grid] },
        { view: 'meter_daily', partition: `date=${date}`, files: [files.md] },
      ],
      { cause: 'nightly' },
    );
  }

  const row = (
    meter: MeterId,
    slot: number,
    wh: number,
    quality: IntervalRow['quality'] = 'A',
    originalWh: number | null = wh,
    date = DATE,
  ): IntervalRow => ({
    meterId: meter,
    servicePointId: `SP-${meter}`,
    startMs: start(date) + slot * Q,
    wh,
    quality,
    originalWh,
  });

  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
    const cache = new S3ObjectCache({ s3, bucket, dir: join(work, 'cache') });
    deps = {
      s3,
      bucket,
      prefix: `${root}rep/`,
      timeZone: TZ,
      catalog: new CatalogReader({ s3, bucket, prefix: `${root}cat/`, cache, refreshMs: 0 }),
      db,
      realtime: { redis, keyPrefix: rvPrefix, partitions: PARTITIONS },
      now: () => Date.UTC(2025, 2, 12, 6),
    };
    await applyReads([
      { meter: 'M1', slot: 0, wh: 100 },
      { meter: 'M1', slot: 1, wh: 100 },
      { meter: 'M2', slot: 0, wh: 200 },
      { meter: 'M2', slot: 1, wh: 5000 }, // a spike VEE replaces
      { meter: 'M3', slot: 0, wh: 300 },
      { meter: 'M3', slot: 2, wh: 70 }, // a correction the batch has not seen yet
      { meter: 'M1', slot: 3, wh: 50, estimated: true }, // a head-end estimate both sides hold
      { meter: 'M3', slot: 4, wh: 80, estimated: true }, // the batch holds a later head-end estimate
    ]);
    await publishDay(
      DATE,
      [
        row('M1', 0, 100),
        row('M1', 1, 100),
        row('M2', 0, 200),
        row('M2', 1, 120, 'E', 5000),
        row('M3', 0, 300),
        row('M3', 2, 60),
        { ...row('M1', 3, 50, 'E'), method: 'HEAD_END' },
        { ...row('M3', 4, 90, 'E'), method: 'HEAD_END' },
      ],
      [
        { t: 'T1', slot: 0, wh: 300 },
        { t: 'T1', slot: 1, wh: 220 },
        { t: 'T1', slot: 3, wh: 50 },
        { t: 'T2', slot: 0, wh: 300 },
        { t: 'T2', slot: 2, wh: 60 },
        { t: 'T2', slot: 4, wh: 90 },
      ],
    );
    await publishDay(OTHER, [row('M1', 0, 10, 'A', 10, OTHER)], [{ t: 'T1', slot: 0, wh: 10 }]);
  });

  afterAll(async () => {
    await deletePrefix(s3, bucket, root);
    const keys = await redis.keys(`{${rvPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('compares a day window by window and stores the report', async () => {
    const report = await reconcileDay(deps, DATE);
    expect(report).toMatchObject({
      date: DATE,
      provisional: 'available',
      windows_in_day: 96,
      catalog_version: 'v2',
    });
    expect(report.transformers).toEqual([
      {
        transformer_id: 'T1',
        provisional_wh: 5450,
        authoritative_wh: 570,
        diff_wh: -4880,
        windows_compared: 96,
        windows_equal: 95,
        windows_explained: 1,
        windows_unexplained: 0,
        windows_with_vee_changes: 1,
        windows_with_head_end_estimates: 1,
        unexplained_windows: [],
      },
      {
        transformer_id: 'T2',
        provisional_wh: 450,
        authoritative_wh: 450,
        diff_wh: 0,
        windows_compared: 96,
        windows_equal: 94,
        windows_explained: 0,
        windows_unexplained: 2,
        windows_with_vee_changes: 0,
        windows_with_head_end_estimates: 1,
        unexplained_windows: [formatIsoUtc(start(DATE) + 2 * Q), formatIsoUtc(start(DATE) + 4 * Q)],
      },
    ]);
    expect(report.totals).toMatchObject({
      transformers: 2,
      diff_wh: -4880,
      windows_unexplained: 2,
      windows_explained: 1,
    });
    expect(await readReconciliationReport(s3, bucket, deps.prefix, DATE)).toEqual(report);
  });

  it('reports an unavailable provisional side, not zeros', async () => {
    const never = await reconcileDay(deps, OTHER);
    expect(never.provisional).toBe('unavailable');
    expect(never.transformers[0]).toMatchObject({
      transformer_id: 'T1',
      authoritative_wh: 10,
      provisional_wh: null,
      diff_wh: null,
    });

    // the retention sweep dropped DATE in one partition (it moves retainFrom first)
    await setRetainFrom(redis, rvPrefix, partitionOfMeter('M1', PARTITIONS), OTHER);
    const expired = await reconcileDay(deps, DATE);
    expect(expired.provisional).toBe('unavailable');
    expect(expired.totals.provisional_wh).toBeNull();
    expect(expired.totals.authoritative_wh).toBe(1020);
  });

  it('refuses a day the catalog has not published', async () => {
    await expect(reconcileDay(deps, '2025-03-01')).rejects.toBeInstanceOf(ReconciliationUnavailableError);
  });
});
