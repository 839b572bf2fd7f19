/**
 * GET /v1/catalog against a catalog published on MinIO by the real CatalogPublisher: empty before
 * the first publish, then versions, watermark, publish times and per-view partitions and rows; a
 * new publish shows on the next request; S3 unreachable → 503.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_NAMES } from '@ami/shared/catalog';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { buildTestApi, realDeps, unreachableDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix, publishDay } from './support/catalog.ts';

interface ViewBody {
  view: string;
  version: string;
  updatedAt: string;
  partitions: number;
  firstPartition: string | null;
  lastPartition: string | null;
  rows: number;
  bytes: number;
}
interface CatalogBody {
  version: string | null;
  seq: number;
  committedAt: string | null;
  watermark: string | null;
  views: ViewBody[];
}

describe('GET /v1/catalog', () => {
  const config = integrationConfig();
  const work = mkdtempSync(join(tmpdir(), 'ami-api-catalog-'));
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-catalog')}/`);
    api = await buildTestApi({ deps: deps.deps });
  });
  afterAll(async () => {
    await api.app.close();
    await deletePrefix(deps.s3, deps.bucket, deps.prefix);
    await deps.close();
    rmSync(work, { recursive: true, force: true });
  });

  const get = async (): Promise<CatalogBody> => {
    const res = await api.app.inject({ url: '/v1/catalog', headers: { 'x-api-key': api.keys.dashboard } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<CatalogBody>();
  };

  it('is empty before anything is published', async () => {
    expect(await get()).toEqual({ version: null, seq: 0, committedAt: null, watermark: null, views: [] });
  });

  it('lists every view with version, partitions, rows and the watermark after publishes', async () => {
    const publish = (date: string, rows: number) =>
      publishDay({
        s3: deps.s3,
        bucket: deps.bucket,
        prefix: deps.prefix,
        db: deps.deps.db,
        dir: join(work, date),
        date,
        rows,
        timeZone: 'Europe/Stockholm',
      });
    const first = await publish('2026-03-28', 3);
    const one = await get();
    expect(one).toMatchObject({ version: first.version, seq: first.seq, watermark: '2026-03-28T23:00:00Z' });
    expect(one.views.map((v) => v.view)).toEqual([...VIEW_NAMES].sort());

    // 2026-03-29 is the 23-hour DST day in Stockholm: the next local day starts at 22:00Z
    const second = await publish('2026-03-29', 4);
    const two = await get();
    expect(two).toMatchObject({
      version: second.version,
      seq: first.seq + 1,
      watermark: '2026-03-29T22:00:00Z',
    });
    expect(Date.parse(two.committedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(one.committedAt ?? ''));
    const daily = two.views.find((v) => v.view === 'meter_daily');
    expect(daily).toMatchObject({
      partitions: 2,
      firstPartition: 'date=2026-03-28',
      lastPartition: 'date=2026-03-29',
      rows: 7,
    });
    expect(daily?.bytes).toBeGreaterThan(0);
    const monthly = two.views.find((v) => v.view === 'billing_determinants');
    expect(monthly).toMatchObject({ partitions: 1, firstPartition: 'month=2026-03', rows: 4 });
    expect(monthly?.version).not.toBe(one.views.find((v) => v.view === 'billing_determinants')?.version);
  });

  it('answers 503 when S3 cannot be reached', async () => {
    const dead = await unreachableDeps();
    const down = await buildTestApi({ deps: dead.deps });
    try {
      const res = await down.app.inject({ url: '/v1/catalog', headers: { 'x-api-key': down.keys.analyst } });
      expect([res.statusCode, res.json()]).toEqual([
        503,
        {
          error: 'dependency_unavailable',
          message: 's3 is unavailable; try again later',
          details: { dependency: 's3' },
        },
      ]);
    } finally {
      await down.app.close();
      await dead.close();
    }
  });
});
