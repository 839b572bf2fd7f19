import { describe, expect, it } from 'vitest';
import type { CatalogFile, CatalogSnapshot } from '@ami/shared/catalog';
import { applyEdits, type CatalogEdit } from '../../src/catalog/manifest.ts';
import { planRestatements, restatedPartitions, restatementCause } from '../../src/restatements/plan.ts';

const TZ = 'Europe/Stockholm';
const file = (n: number): CatalogFile => ({
  key: `views/x/${n}.parquet`,
  rows: 1,
  bytes: 10 + n,
  sha256: n.toString(16).padStart(64, '0'),
  etag: '',
});
const put = (view: CatalogEdit['view'], partition: string, n: number): CatalogEdit => ({
  kind: 'put',
  view,
  partition,
  content: { buildId: `b${n}`, files: [file(n)] },
});

function commit(prev: CatalogSnapshot | null, edits: CatalogEdit[], cause: string): CatalogSnapshot {
  const { snapshot } = applyEdits(prev, edits, {
    committedAtMs: Date.UTC(2025, 2, 12) + (prev?.seq ?? 0) * 1000,
    timeZone: TZ,
    cause,
    parent: prev ? { seq: prev.seq, key: `k${prev.seq}` } : null,
  });
  if (!snapshot) throw new Error('no change');
  return snapshot;
}

/** Every view of one day (+ its month), content numbered from n. */
const day = (date: string, n: number): CatalogEdit[] => [
  put('intervals_validated', `date=${date}`, n),
  put('meter_daily', `date=${date}`, n + 1),
  put('grid_15m', `date=${date}`, n + 2),
  put('meter_monthly', `month=${date.slice(0, 7)}`, n + 3),
  put('billing_determinants', `month=${date.slice(0, 7)}`, n + 4),
];

describe('planRestatements', () => {
  const s1 = commit(null, day('2025-03-10', 100), 'nightly');
  const s2 = commit(s1, day('2025-03-11', 200), 'nightly');

  it('a new day is no restatement, not even of its month-to-date partitions', () => {
    const plan = planRestatements(s1, s2);
    expect(plan.partitions.map((p) => `${p.view}/${p.partition}`)).toEqual([
      'billing_determinants/month=2025-03',
      'meter_monthly/month=2025-03',
    ]);
    expect(plan.notices).toEqual([]);
  });

  it('a republished day names its date for daily and monthly views', () => {
    const s3 = commit(
      s2,
      [put('intervals_validated', 'date=2025-03-10', 300), put('meter_monthly', 'month=2025-03', 301)],
      'edit',
    );
    const plan = planRestatements(s2, s3);
    expect(plan.cause).toBe('edit');
    expect(plan.publishedAtMs).toBe(Date.parse(s3.committedAt));
    expect(
      plan.notices.map((n) => [n.view, n.localDate, n.restated.oldVersion, n.restated.newVersion]),
    ).toEqual([
      ['intervals_validated', '2025-03-10', 'v1', 'v3'],
      ['meter_monthly', '2025-03-10', 'v2', 'v3'],
    ]);
    expect(plan.notices[0]?.restated.oldFiles).toEqual([file(100)]);
    expect(plan.notices[0]?.restated.newFiles).toEqual([file(300)]);
  });

  it('a month changed alone names its first date; several restated days are each named', () => {
    const s3 = commit(s2, [put('billing_determinants', 'month=2025-03', 400)], 'rollback');
    expect(planRestatements(s2, s3).notices.map((n) => [n.view, n.localDate])).toEqual([
      ['billing_determinants', '2025-03-01'],
    ]);
    const s4 = commit(
      s3,
      [...day('2025-03-10', 500), put('meter_daily', 'date=2025-03-11', 600)].filter(
        (e) => e.view !== 'billing_determinants',
      ),
      'backfill',
    );
    const notices = planRestatements(s3, s4).notices.map((n) => `${n.view}/${n.localDate}`);
    expect(notices).toEqual([
      'grid_15m/2025-03-10',
      'intervals_validated/2025-03-10',
      'meter_daily/2025-03-10',
      'meter_daily/2025-03-11',
      'meter_monthly/2025-03-10',
      'meter_monthly/2025-03-11',
    ]);
  });

  it('a removed partition is restated with the catalog version that removed it', () => {
    const { snapshot: s3 } = applyEdits(
      s2,
      [{ kind: 'remove', view: 'grid_15m', partition: 'date=2025-03-11' }],
      {
        committedAtMs: Date.UTC(2025, 2, 13),
        timeZone: TZ,
        cause: 'rollback',
        parent: { seq: 2, key: 'k2' },
      },
    );
    if (!s3) throw new Error('no change');
    expect(restatedPartitions(s2, s3)).toEqual([
      {
        view: 'grid_15m',
        partition: 'date=2025-03-11',
        oldVersion: 'v2',
        newVersion: 'v3',
        oldFiles: [file(202)],
        newFiles: [],
      },
    ]);
  });

  it('maps causes outside the notice vocabulary to late_data', () => {
    expect(restatementCause('edit')).toBe('edit');
    expect(restatementCause('rollback')).toBe('rollback');
    expect(restatementCause('nightly')).toBe('late_data');
  });
});
