import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3, openDuckDB, S3ObjectCache, sqlPath, withConnection } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../support/config.ts';

describe('DuckDB over S3 objects fetched into the local cache', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const Bucket = config.connection.s3Bucket;
  const prefix = `it/${uniqueName('duckdb')}/`;
  const work = mkdtempSync(join(tmpdir(), 'ami-duckdb-it-'));

  afterAll(async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes Parquet with DuckDB, uploads it, fetches it back through the cache and queries it', async () => {
    const db = await openDuckDB({ threads: 1 });
    const local = join(work, 'written.parquet');
    await withConnection(db, async (c) => {
      await c.run(
        `COPY (SELECT 'MTR-' || lpad(i::VARCHAR, 6, '0') AS meter_id,
                      TIMESTAMPTZ '2026-03-29 00:00:00+01' + INTERVAL 15 MINUTE * (i % 92) AS interval_start,
                      (i * 7 % 1000)::INTEGER AS wh
               FROM range(10000) t(i))
         TO ${sqlPath(local)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    });
    const key = `${prefix}view=meter_daily/date=2026-03-29/part-0.parquet`;
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: readFileSync(local) }));

    const cache = new S3ObjectCache({ s3, bucket: Bucket, dir: join(work, 'cache') });
    const cached = await cache.fetch(key);
    expect(cached.startsWith(join(work, 'cache'))).toBe(true);
    expect(statSync(cached).size).toBe(statSync(local).size);
    expect(cache.downloads).toBe(1);

    const rows = await withConnection(db, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT count(*)::INTEGER AS n, sum(wh)::BIGINT AS wh, count(DISTINCT meter_id)::INTEGER AS meters
         FROM read_parquet(${sqlPath(cached)})`,
      );
      return r.getRowObjectsJS();
    });
    const expectedWh = Array.from({ length: 10000 }, (_, i) => (i * 7) % 1000).reduce((a, b) => a + b, 0);
    expect(rows).toEqual([{ n: 10000, wh: BigInt(expectedWh), meters: 10000 }]);

    // a second fetch (and one from a new cache over the same directory) is served locally
    expect(await cache.fetch(key)).toBe(cached);
    expect(cache.downloads).toBe(1);
    const reopened = new S3ObjectCache({ s3, bucket: Bucket, dir: join(work, 'cache') });
    expect(await reopened.fetch(key)).toBe(cached);
    expect(reopened.downloads).toBe(0);

    // Hive-partitioned read over the cache directory, as other engines will read published views
    const hive = await withConnection(db, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT date::VARCHAR AS date, count(*)::INTEGER AS n
         FROM read_parquet(${sqlPath(join(cache.dir, prefix, 'view=meter_daily', '*', '*.parquet'))}, hive_partitioning = true)
         GROUP BY 1`,
      );
      return r.getRowObjectsJS();
    });
    expect(hive).toEqual([{ date: '2026-03-29', n: 10000 }]);
    db.closeSync();
  });

  it('stays within its byte bound by evicting the least recently used files', async () => {
    const keys = [0, 1, 2].map((i) => `${prefix}evict/${i}.bin`);
    for (const k of keys)
      await s3.send(new PutObjectCommand({ Bucket, Key: k, Body: Buffer.alloc(1000, 1) }));
    const cache = new S3ObjectCache({ s3, bucket: Bucket, dir: join(work, 'small-cache'), maxBytes: 2500 });
    for (const k of keys) await cache.fetch(k);
    expect(cache.bytes).toBeLessThanOrEqual(2500);
    expect(cache.downloads).toBe(3);
    // the oldest one was evicted: fetching it again downloads it again
    await cache.fetch(keys[0]!);
    expect(cache.downloads).toBe(4);
    // pinned files are never evicted
    cache.pin([keys[0]!]);
    await cache.fetch(keys[1]!);
    await cache.fetch(keys[2]!);
    expect(statSync(cache.pathOf(keys[0]!)).size).toBe(1000);
  });
});
