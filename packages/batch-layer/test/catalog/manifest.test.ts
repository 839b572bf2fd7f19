import { describe, expect, it } from 'vitest';
import {
  parseSnapshot,
  serializeSnapshot,
  type CatalogFile,
  type CatalogSnapshot,
} from '@ami/shared/catalog';
import {
  applyEdits,
  partitionContentHash,
  referencedKeys,
  rollbackEdits,
  type CatalogEdit,
} from '../../src/catalog/manifest.ts';
import { DAILY_VIEWS, MONTHLY_VIEWS } from '@ami/shared/catalog';

const TZ = 'Europe/Stockholm';
const sha = (c: string) => c.repeat(64);
const file = (key: string, c: string, rows = 10): CatalogFile => ({
  key,
  rows,
  bytes: rows * 7,
  sha256: sha(c),
  etag: `"${c}"`,
});

function commit(
  current: CatalogSnapshot | null,
  edits: CatalogEdit[],
  atMs = Date.UTC(2026, 0, 5),
  key = 'k',
) {
  return applyEdits(current, edits, {
    committedAtMs: atMs,
    timeZone: TZ,
    cause: 'test',
    parent: current ? { seq: current.seq, key } : null,
  });
}

const dayEdits = (date: string, build: string, c: string): CatalogEdit[] => [
  ...DAILY_VIEWS.map((view): CatalogEdit => ({
    kind: 'put',
    view,
    partition: `date=${date}`,
    content: { buildId: build, files: [file(`views/${view}/date=${date}/${build}-${c}.parquet`, c)] },
  })),
  ...MONTHLY_VIEWS.map((view): CatalogEdit => ({
    kind: 'put',
    view,
    partition: `month=${date.slice(0, 7)}`,
    content: {
      buildId: build,
      files: [file(`views/${view}/month=${date.slice(0, 7)}/${build}-${c}.parquet`, c)],
    },
  })),
];

describe('partitionContentHash', () => {
  it('depends on file content facts only, not on order', () => {
    const a = [file('x/1', 'a'), file('x/2', 'b')];
    const b = [file('y/2', 'b'), file('y/1', 'a')];
    expect(partitionContentHash(a)).toBe(partitionContentHash(b));
    expect(partitionContentHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(partitionContentHash([file('x/1', 'a', 11), file('x/2', 'b')])).not.toBe(partitionContentHash(a));
    expect(partitionContentHash([])).not.toBe(partitionContentHash(a));
  });
});

describe('applyEdits', () => {
  it('publishes a whole day in one snapshot with the watermark and one change per partition', () => {
    const { snapshot, changes } = commit(null, dayEdits('2026-01-04', 'b1', 'a'));
    expect(snapshot?.seq).toBe(1);
    expect(snapshot?.parent).toBeNull();
    expect(changes).toHaveLength(7);
    expect(changes.every((c) => c.oldVersion === null && c.newVersion === 'v1')).toBe(true);
    expect(snapshot?.watermark).toBe('2026-01-04T23:00:00Z');
    expect(snapshot?.lastContiguousDay).toBe('2026-01-04');
    expect(snapshot?.views.meter_daily?.partitions['date=2026-01-04']?.rows).toBe(10);
    // round-trips through the schema
    expect(parseSnapshot(serializeSnapshot(snapshot as CatalogSnapshot))).toEqual(snapshot);
  });

  it('gives the same manifest content for the same inputs, except versions, times and keys', () => {
    const one = commit(null, dayEdits('2026-01-04', 'b1', 'a'), Date.UTC(2026, 0, 5)).snapshot;
    const two = commit(null, dayEdits('2026-01-04', 'b2', 'a'), Date.UTC(2026, 0, 6)).snapshot;
    const hashes = (s: CatalogSnapshot | null) =>
      Object.entries(s?.views ?? {}).map(([v, e]) => [
        v,
        Object.entries(e.partitions).map(([p, x]) => [p, x.contentHash, x.rows]),
      ]);
    expect(hashes(one)).toEqual(hashes(two));
    // serialisation is canonical: same object, same bytes whatever the insertion order
    const s = one as CatalogSnapshot;
    const reordered = Object.fromEntries(Object.entries(s).reverse()) as CatalogSnapshot;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(s)[0]);
    expect(serializeSnapshot(reordered)).toBe(serializeSnapshot(s));
  });

  it('treats a republish of identical content as no change (no snapshot, no restatement)', () => {
    const first = commit(null, dayEdits('2026-01-04', 'b1', 'a')).snapshot;
    const again = commit(first, dayEdits('2026-01-04', 'b2', 'a'));
    expect(again.snapshot).toBeNull();
    expect(again.changes).toEqual([]);
  });

  it('records old and new versions when a published partition changes, keeping the others', () => {
    const s1 = commit(null, dayEdits('2026-01-04', 'b1', 'a')).snapshot;
    const s2 = commit(s1, dayEdits('2026-01-05', 'b2', 'b')).snapshot;
    const edit: CatalogEdit = {
      kind: 'put',
      view: 'meter_daily',
      partition: 'date=2026-01-04',
      content: { buildId: 'b3', files: [file('views/meter_daily/date=2026-01-04/b3.parquet', 'c', 12)] },
    };
    const r = commit(s2, [edit]);
    expect(r.snapshot?.seq).toBe(3);
    expect(r.changes).toEqual([
      {
        view: 'meter_daily',
        partition: 'date=2026-01-04',
        oldVersion: 'v1',
        newVersion: 'v3',
        oldContentHash: s1?.views.meter_daily?.partitions['date=2026-01-04']?.contentHash,
        newContentHash: r.snapshot?.views.meter_daily?.partitions['date=2026-01-04']?.contentHash,
      },
    ]);
    expect(r.snapshot?.views.meter_daily?.version).toBe('v3');
    expect(r.snapshot?.views.meter_daily?.partitions['date=2026-01-05']?.version).toBe('v2');
    expect(r.snapshot?.views.grid_daily?.version).toBe('v2');
    // month partition changed in s2 (new content 'b'), so meter_monthly's month=2026-01 is v2
    expect(r.snapshot?.views.meter_monthly?.partitions['month=2026-01']?.version).toBe('v2');
    expect(r.snapshot?.watermark).toBe('2026-01-05T23:00:00Z');
  });

  it('removes partitions and lowers the watermark accordingly', () => {
    const s1 = commit(null, [...dayEdits('2026-01-04', 'b1', 'a')]).snapshot;
    const s2 = commit(s1, dayEdits('2026-01-05', 'b2', 'b')).snapshot;
    const r = commit(s2, [{ kind: 'remove', view: 'grid_15m', partition: 'date=2026-01-05' }]);
    expect(r.changes).toEqual([
      expect.objectContaining({ view: 'grid_15m', oldVersion: 'v2', newVersion: null, newContentHash: null }),
    ]);
    expect(r.snapshot?.lastContiguousDay).toBe('2026-01-04');
    expect(
      commit(s2, [{ kind: 'remove', view: 'grid_15m', partition: 'date=2026-02-01' }]).snapshot,
    ).toBeNull();
  });

  it('rejects a partition of the wrong kind, duplicate edits and a wrong parent', () => {
    const put = (view: 'meter_monthly' | 'meter_daily', partition: string): CatalogEdit => ({
      kind: 'put',
      view,
      partition,
      content: { buildId: 'b', files: [] },
    });
    expect(() => commit(null, [put('meter_monthly', 'date=2026-01-04')])).toThrow(/partitioned by month/);
    expect(() =>
      commit(null, [put('meter_daily', 'date=2026-01-04'), put('meter_daily', 'date=2026-01-04')]),
    ).toThrow(/two edits/);
    const s1 = commit(null, dayEdits('2026-01-04', 'b1', 'a')).snapshot;
    expect(() => applyEdits(s1, [], { committedAtMs: 0, timeZone: TZ, cause: 'x', parent: null })).toThrow(
      /parent/,
    );
  });
});

describe('rollbackEdits', () => {
  it('restores the files of the target version and removes partitions it lacked', () => {
    const s1 = commit(null, dayEdits('2026-01-04', 'b1', 'a')).snapshot as CatalogSnapshot;
    const s2 = commit(s1, [
      ...dayEdits('2026-01-04', 'b2', 'b'),
      ...dayEdits('2026-01-05', 'b2', 'b').filter((e) => e.partition.startsWith('date=')),
    ]).snapshot as CatalogSnapshot;
    const edits = rollbackEdits(s2, s1, 'meter_daily');
    expect(edits.map((e) => [e.kind, e.partition])).toEqual([
      ['put', 'date=2026-01-04'],
      ['remove', 'date=2026-01-05'],
    ]);
    const r = commit(s2, edits);
    const p = r.snapshot?.views.meter_daily?.partitions['date=2026-01-04'];
    expect(p?.files).toEqual(s1.views.meter_daily?.partitions['date=2026-01-04']?.files);
    expect(p?.version).toBe('v3');
    expect(p?.restoredFrom).toBe('v1');
    expect(r.changes[0]).toMatchObject({ oldVersion: 'v2', newVersion: 'v3', restoredFrom: 'v1' });
    // other views untouched
    expect(r.snapshot?.views.grid_daily).toEqual(s2.views.grid_daily);
    // only selected partitions
    expect(rollbackEdits(s2, s1, 'meter_daily', ['date=2026-01-05']).map((e) => e.kind)).toEqual(['remove']);
  });

  it('lists every referenced key', () => {
    const s1 = commit(null, dayEdits('2026-01-04', 'b1', 'a')).snapshot as CatalogSnapshot;
    expect(referencedKeys(s1)).toHaveLength(7);
  });
});
