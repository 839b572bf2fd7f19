import { describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectCache } from '@ami/shared/clients';
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  PinnedCatalogImpl,
  deepFreeze,
  publishedDays,
  publishedDaysFrom,
  publishedDaysOf,
  publishedRuns,
  type CatalogSnapshot,
  type PartitionEntry,
  type ViewEntry,
} from '@ami/shared/catalog';

const part: PartitionEntry = {
  version: 'v1',
  publishedAt: '2026-04-01T00:00:00Z',
  buildId: 'b',
  contentHash: '1'.repeat(64),
  rows: 1,
  bytes: 10,
  files: [],
};
const entry = (ids: readonly string[]): ViewEntry => ({
  version: 'v1',
  updatedAt: '2026-04-01T00:00:00Z',
  partitions: Object.fromEntries(ids.map((id) => [id, part])),
});
const march = Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`);

/** Views of `days` published whole (every daily view, every monthly view of their months). */
function viewsOf(days: readonly string[]): Record<string, ViewEntry> {
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  const out: Record<string, ViewEntry> = {};
  for (const v of DAILY_VIEWS) out[v] = entry(days.map((d) => `date=${d}`));
  for (const v of MONTHLY_VIEWS) out[v] = entry(months.map((m) => `month=${m}`));
  return out;
}

const snapshotOf = (days: readonly string[]): CatalogSnapshot =>
  deepFreeze({
    format: 1,
    seq: 2,
    parent: null,
    committedAt: '2026-04-02T00:00:00Z',
    timeZone: 'Europe/Stockholm',
    watermark: '2026-03-31T22:00:00Z',
    firstPublishedDay: '2026-03-01',
    lastContiguousDay: '2026-03-31',
    cause: 'test',
    views: viewsOf(days),
  });

const cache = new S3ObjectCache({
  s3: new S3Client({ region: 'us-east-1' }),
  bucket: 'unused',
  dir: '/tmp/unused',
});

describe('published days (the one rule of every layer)', () => {
  it('needs every daily view to hold the date and every monthly view its month', () => {
    const views = viewsOf(['2026-02-10', ...march]);
    expect(publishedDays(views)).toEqual(['2026-02-10', ...march]);
    const noGrid = { ...views, grid_15m: entry(march.map((d) => `date=${d}`)) };
    expect(publishedDays(noGrid)).toEqual(march);
    const noFebBilling = { ...views, billing_determinants: entry(['month=2026-03']) };
    expect(publishedDays(noFebBilling)).toEqual(march);
  });

  it('groups days into maximal runs of consecutive days, across month ends', () => {
    expect(publishedRuns([])).toEqual([]);
    expect(publishedRuns(['2026-03-02', '2026-02-10', '2026-03-01', '2026-02-28', '2026-03-02'])).toEqual([
      { first: '2026-02-10', last: '2026-02-10' },
      { first: '2026-02-28', last: '2026-03-02' },
    ]);
    expect(() => publishedRuns(['2026-02-30'])).toThrow(RangeError);
  });

  it('answers a published day and any day before the first one from the batch, a gap day not', () => {
    const p = publishedDaysFrom(['2026-02-10', ...march]);
    expect(p.first).toBe('2026-02-10');
    expect(p.runs).toEqual([
      { first: '2026-02-10', last: '2026-02-10' },
      { first: '2026-03-01', last: '2026-03-31' },
    ]);
    expect([p.has('2026-02-10'), p.has('2026-02-11'), p.has('2026-03-15')]).toEqual([true, false, true]);
    expect(p.isBatchDay('2026-02-09')).toBe(true); // before the first published day
    expect(p.isBatchDay('2026-02-11')).toBe(false); // a gap
    expect(p.isBatchDay('2026-03-31')).toBe(true);
    expect(p.isBatchDay('2026-04-01')).toBe(false); // after the watermark
    const none = publishedDaysFrom([]);
    expect([none.first, none.isBatchDay('2026-01-01'), none.runs]).toEqual([null, false, []]);
  });

  it('is computed once per snapshot and offered by the pinned catalog', () => {
    const snapshot = snapshotOf(['2026-02-10', ...march]);
    expect(publishedDaysOf(snapshot)).toBe(publishedDaysOf(snapshot));
    const a = new PinnedCatalogImpl(snapshot, cache);
    const b = new PinnedCatalogImpl(snapshot, cache);
    expect(a.publishedDays()).toBe(b.publishedDays());
    expect(a.publishedDays().days).toEqual(['2026-02-10', ...march]);
    expect([a.isDayPublished('2026-02-10'), a.isDayPublished('2026-02-11')]).toEqual([true, false]);
    const empty = new PinnedCatalogImpl(null, cache);
    expect(empty.publishedDays().days).toEqual([]);
    expect(empty.isDayPublished('2026-03-01')).toBe(false);
  });
});
