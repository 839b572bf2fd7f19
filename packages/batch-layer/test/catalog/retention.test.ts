import { describe, expect, it } from 'vitest';
import type { CatalogSnapshot } from '@ami/shared/catalog';
import { planRetention, retainsParent, selectGarbage } from '../../src/catalog/retention.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

function snap(
  seq: number,
  committedAtMs: number,
  keys: string[],
): { key: string; snapshot: CatalogSnapshot } {
  return {
    key: `catalog/snapshots/${seq}.json`,
    snapshot: {
      format: 1,
      seq,
      parent: seq > 1 ? { seq: seq - 1, key: `catalog/snapshots/${seq - 1}.json` } : null,
      committedAt: new Date(committedAtMs).toISOString().replace('.000', ''),
      timeZone: 'UTC',
      watermark: null,
      firstPublishedDay: null,
      lastContiguousDay: null,
      cause: 't',
      views: {
        meter_daily: {
          version: `v${seq}`,
          updatedAt: '2026-01-01T00:00:00Z',
          partitions: Object.fromEntries(
            keys.map((k, i) => [
              `date=2026-01-${String(i + 1).padStart(2, '0')}`,
              {
                version: `v${seq}`,
                publishedAt: '2026-01-01T00:00:00Z',
                buildId: 'b',
                contentHash: '0'.repeat(64),
                rows: 1,
                bytes: 1,
                files: [{ key: k, rows: 1, bytes: 1, sha256: '0'.repeat(64), etag: '' }],
              },
            ]),
          ),
        },
      },
    },
  };
}

describe('retainsParent', () => {
  it('keeps a snapshot while it was current within the window', () => {
    expect(retainsParent(NOW - 29 * DAY, NOW, 30 * DAY)).toBe(true);
    expect(retainsParent(NOW - 30 * DAY, NOW, 30 * DAY)).toBe(false);
    expect(retainsParent(NOW, NOW, 0)).toBe(false);
  });
});

describe('planRetention', () => {
  // chain newest first: s4 (current, 1 day ago) <- s3 (replaced by s4) <- s2 (replaced 20 days ago) <- s1 (replaced 40 days ago)
  const chain = [
    snap(4, NOW - 1 * DAY, ['f/d']),
    snap(3, NOW - 20 * DAY, ['f/c', 'f/shared']),
    snap(2, NOW - 40 * DAY, ['f/b', 'f/shared']),
    snap(1, NOW - 50 * DAY, ['f/a']),
  ];

  it('keeps the current snapshot and those replaced within the retention', () => {
    const plan = planRetention(chain, NOW, 30 * DAY);
    expect(plan.retainedSeqs).toEqual([4, 3, 2]);
    expect([...plan.keep].sort()).toEqual(
      [
        'catalog/snapshots/2.json',
        'catalog/snapshots/3.json',
        'catalog/snapshots/4.json',
        'f/b',
        'f/c',
        'f/d',
        'f/shared',
      ].sort(),
    );
  });

  it('keeps only the current one with zero retention, and never drops it', () => {
    expect(planRetention(chain, NOW, 0).retainedSeqs).toEqual([4]);
    expect(planRetention(chain, NOW + 1000 * DAY, 0).keep.has('f/d')).toBe(true);
    expect(planRetention([], NOW, DAY).retainedSeqs).toEqual([]);
  });
});

describe('selectGarbage', () => {
  it('deletes unkept objects older than the grace period only', () => {
    const keep = new Set(['f/kept']);
    const listed = [
      { key: 'f/kept', lastModifiedMs: NOW - 100 * DAY },
      { key: 'f/old-unreferenced', lastModifiedMs: NOW - 2 * DAY },
      { key: 'f/fresh-orphan', lastModifiedMs: NOW - 3600_000 },
      { key: 'catalog/snapshots/9-abc.json', lastModifiedMs: NOW - 2 * DAY },
    ];
    expect(selectGarbage(listed, keep, NOW, DAY)).toEqual([
      'catalog/snapshots/9-abc.json',
      'f/old-unreferenced',
    ]);
    expect(selectGarbage(listed, keep, NOW, 10 * DAY)).toEqual([]);
  });
});
