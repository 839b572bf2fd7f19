import { describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectCache } from '@ami/shared/clients';
import {
  PinnedCatalogImpl,
  deepFreeze,
  type CatalogSnapshot,
  type PartitionEntry,
} from '@ami/shared/catalog';

const part = (version: string, key: string, rows: number): PartitionEntry => ({
  version,
  publishedAt: '2026-01-05T00:00:00Z',
  buildId: 'b',
  contentHash: '1'.repeat(64),
  rows,
  bytes: rows * 10,
  files: [{ key, rows, bytes: rows * 10, sha256: '2'.repeat(64), etag: '"e"' }],
});

const snapshot: CatalogSnapshot = deepFreeze({
  format: 1,
  seq: 3,
  parent: { seq: 2, key: 'catalog/snapshots/2.json' },
  committedAt: '2026-01-05T00:00:00Z',
  timeZone: 'Europe/Stockholm',
  watermark: '2026-01-04T23:00:00Z',
  firstPublishedDay: '2026-01-03',
  lastContiguousDay: '2026-01-04',
  cause: 'test',
  views: {
    meter_daily: {
      version: 'v3',
      updatedAt: '2026-01-05T00:00:00Z',
      partitions: {
        'date=2026-01-04': part('v3', 'views/meter_daily/date=2026-01-04/a.parquet', 5),
        'date=2026-01-03': part('v1', 'views/meter_daily/date=2026-01-03/a.parquet', 4),
      },
    },
  },
});

// The cache is never asked to download in these tests (no localFiles call): a client without a server.
const cache = new S3ObjectCache({
  s3: new S3Client({ region: 'us-east-1' }),
  bucket: 'unused',
  dir: '/tmp/unused',
});

describe('PinnedCatalog (no I/O)', () => {
  it('exposes version and watermark of its snapshot', () => {
    const p = new PinnedCatalogImpl(snapshot, cache);
    expect(p.version).toBe('v3');
    expect(p.watermarkMs).toBe(Date.UTC(2026, 0, 4, 23));
    const empty = new PinnedCatalogImpl(null, cache);
    expect([empty.seq, empty.version, empty.watermarkMs]).toEqual([0, null, null]);
    expect(empty.partitions('meter_daily')).toEqual([]);
  });

  it('lists partitions sorted, by range, and reports missing ones', () => {
    const p = new PinnedCatalogImpl(snapshot, cache);
    expect(p.partitions('meter_daily')).toEqual(['date=2026-01-03', 'date=2026-01-04']);
    expect(p.partitions('meter_daily', { from: 'date=2026-01-04' })).toEqual(['date=2026-01-04']);
    expect(p.partitions('meter_daily', { to: 'date=2026-01-03' })).toEqual(['date=2026-01-03']);
    const f = p.files('meter_daily', ['date=2026-01-04', 'date=2026-01-05']);
    expect(f.missing).toEqual(['date=2026-01-05']);
    expect(f.files.map((x) => x.key)).toEqual(['views/meter_daily/date=2026-01-04/a.parquet']);
    expect(() => p.files('meter_daily', ['month=2026-01'])).toThrow(RangeError);
  });

  it('summarises views for GET /v1/catalog', () => {
    const s = new PinnedCatalogImpl(snapshot, cache).summary();
    expect(s).toMatchObject({ version: 'v3', watermark: '2026-01-04T23:00:00Z' });
    expect(s.views).toEqual([
      {
        view: 'meter_daily',
        version: 'v3',
        updatedAt: '2026-01-05T00:00:00Z',
        partitions: 2,
        firstPartition: 'date=2026-01-03',
        lastPartition: 'date=2026-01-04',
        rows: 9,
        bytes: 90,
      },
    ]);
  });

  it('is immutable and unusable after release', () => {
    const p = new PinnedCatalogImpl(snapshot, cache);
    expect(() => {
      (p.snapshot as { seq: number }).seq = 9;
    }).toThrow(TypeError);
    let released = 0;
    const q = new PinnedCatalogImpl(snapshot, cache, () => released++);
    q.release();
    q.release();
    expect(released).toBe(1);
    expect(() => q.files('meter_daily')).toThrow(/released/);
  });
});
