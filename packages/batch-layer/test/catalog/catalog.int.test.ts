/**
 * The catalog against the real MinIO: atomic publish, pinned reads through the object cache and
 * DuckDB (plain Hive-partitioned Parquet), concurrent publishers, crashed publishers, rollback, GC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createS3,
  openDuckDB,
  S3ObjectCache,
  sqlPath,
  withConnection,
  type DuckDBInstance,
} from '@ami/shared/clients';
import { CatalogReader, catalogHeadKey, type PinnedCatalog } from '@ami/shared/catalog';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import { collectGarbage } from '../../src/catalog/gc.ts';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { dayInputs, deletePrefix, listKeys, writeViewFile } from './support.ts';

const TZ = 'Europe/Stockholm';
const DAY = 86_400_000;

describe('batch-view catalog on MinIO', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const root = `it/${uniqueName('catalog')}/`;
  const work = mkdtempSync(join(tmpdir(), 'ami-catalog-it-'));
  let db: DuckDBInstance;

  beforeAll(async () => {
    db = await openDuckDB({ threads: 1 });
  });
  afterAll(async () => {
    await deletePrefix(s3, bucket, root);
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const setup = (name: string, retentionMs = 30 * DAY, now?: () => number) => {
    const prefix = `${root}${name}/`;
    const dir = join(work, name);
    const publisher = new CatalogPublisher({ s3, bucket, prefix, timeZone: TZ, retentionMs, now });
    const cache = new S3ObjectCache({ s3, bucket, dir: join(dir, 'cache') });
    const reader = new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 0 });
    return { prefix, dir, publisher, cache, reader };
  };

  async function readView(pinned: PinnedCatalog, view: 'meter_daily' | 'grid_15m' | 'billing_determinants') {
    const local = await pinned.localFiles(view);
    if (local.paths.length === 0) return [];
    return withConnection(db, async (c) => {
      const list = local.paths.map(sqlPath).join(', ');
      const r = await c.runAndReadAll(
        `SELECT * EXCLUDE (wh), wh::INTEGER AS wh FROM read_parquet([${list}], hive_partitioning = true)
         ORDER BY ALL`,
      );
      return r.getRowObjectsJson();
    });
  }

  it('publishes whole days atomically; a pinned reader reads them as Hive Parquet with DuckDB', async () => {
    const { dir, publisher, reader } = setup('publish');
    const empty = await reader.pin();
    expect([empty.seq, empty.watermark]).toEqual([0, null]);
    empty.release();

    const r1 = await publisher.publish(await dayInputs(db, dir, '2026-03-28', 1, 2), { cause: 'nightly' });
    expect(r1).toMatchObject({ committed: true, seq: 1, version: 'v1', watermark: '2026-03-28T23:00:00Z' });
    expect(r1.changes).toHaveLength(7);
    const r2 = await publisher.publish(await dayInputs(db, dir, '2026-03-29', 2, 2), { cause: 'nightly' });
    // 2026-03-29 is the 23-hour DST day: the next local day starts at 22:00Z
    expect(r2).toMatchObject({ seq: 2, watermark: '2026-03-29T22:00:00Z' });
    // the month partitions were republished with new content: a restatement record each
    expect(
      r2.changes
        .filter((c) => c.oldVersion !== null)
        .map((c) => [c.view, c.partition, c.oldVersion, c.newVersion]),
    ).toEqual([
      ['billing_determinants', 'month=2026-03', 'v1', 'v2'],
      ['meter_monthly', 'month=2026-03', 'v1', 'v2'],
    ]);

    const pinned = await reader.pin();
    expect(pinned.version).toBe('v2');
    expect(pinned.watermark).toBe('2026-03-29T22:00:00Z');
    expect(pinned.partitions('meter_daily')).toEqual(['date=2026-03-28', 'date=2026-03-29']);
    const rows = await readView(pinned, 'meter_daily');
    expect(rows).toEqual([
      { meter_id: 'MTR-0000', date: '2026-03-28', wh: 1000 },
      { meter_id: 'MTR-0000', date: '2026-03-29', wh: 2000 },
      { meter_id: 'MTR-0001', date: '2026-03-28', wh: 1001 },
      { meter_id: 'MTR-0001', date: '2026-03-29', wh: 2001 },
    ]);
    // the Hive partition column comes out as a DATE
    const types = await withConnection(db, async (c) => {
      const paths = (await pinned.localFiles('meter_daily')).paths.map(sqlPath).join(', ');
      const r = await c.runAndReadAll(
        `SELECT DISTINCT typeof(date) AS t FROM read_parquet([${paths}], hive_partitioning = true)`,
      );
      return r.getRowObjectsJson();
    });
    expect(types).toEqual([{ t: 'DATE' }]);
    expect(await readView(pinned, 'billing_determinants')).toEqual([
      { meter_id: 'MTR-0000', month: '2026-03', wh: 2000 },
      { meter_id: 'MTR-0001', month: '2026-03', wh: 2001 },
    ]);
    pinned.release();
    expect(reader.stats.activePins).toBe(0);

    // rerunning the same inputs publishes nothing and uploads nothing
    const before = await listKeys(s3, bucket, setup('publish').prefix);
    const again = await publisher.publish(await dayInputs(db, dir, '2026-03-29', 2, 2), {
      cause: 'late_data',
    });
    expect(again).toMatchObject({ committed: false, seq: 2, changes: [] });
    expect(await listKeys(s3, bucket, setup('publish').prefix)).toEqual(before);
  });

  it('a pinned catalog keeps its version while a newer one is published', async () => {
    const { dir, publisher, reader } = setup('pinning');
    await publisher.publish(await dayInputs(db, dir, '2026-01-10', 1), { cause: 'nightly' });
    const old = await reader.pin();
    const oldRows = await readView(old, 'meter_daily');

    const path = await writeViewFile(db, join(dir, 'md-new.parquet'), 2, 7);
    const r = await publisher.publish(
      [{ view: 'meter_daily', partition: 'date=2026-01-10', files: [{ path, rows: 2 }] }],
      { cause: 'edit' },
    );
    expect(r.changes).toEqual([
      expect.objectContaining({
        view: 'meter_daily',
        partition: 'date=2026-01-10',
        oldVersion: 'v1',
        newVersion: 'v2',
      }),
    ]);

    const fresh = await reader.pin();
    expect([old.version, fresh.version]).toEqual(['v1', 'v2']);
    expect(await readView(old, 'meter_daily')).toEqual(oldRows);
    expect(oldRows).toHaveLength(3);
    expect((await readView(fresh, 'meter_daily')).map((x) => x.wh)).toEqual([7000, 7001]);
    old.release();
    fresh.release();

    // with a long refresh interval, HEAD is not re-read: pins reuse the held snapshot until refresh()
    const { cache } = setup('pinning');
    const slow = new CatalogReader({
      s3,
      bucket,
      prefix: setup('pinning').prefix,
      cache,
      refreshMs: 3_600_000,
    });
    const a = await slow.pin();
    await publisher.publish([{ view: 'grid_15m', partition: 'date=2026-01-11', files: [] }], {
      cause: 'nightly',
    });
    const b = await slow.pin();
    expect([a.version, b.version, slow.stats.headChecks]).toEqual(['v2', 'v2', 1]);
    await slow.refresh();
    const c = await slow.pin();
    expect(c.version).toBe('v3');
    expect(c.partitions('grid_15m')).toContain('date=2026-01-11');
    expect(slow.stats).toMatchObject({ headChecks: 2, snapshotLoads: 2 });
    for (const p of [a, b, c]) p.release();
  });

  it('serves many concurrent requests from one HEAD check and one download per file', async () => {
    const { dir, prefix, publisher, cache } = setup('many-readers');
    await publisher.publish(await dayInputs(db, dir, '2026-07-01', 1), { cause: 'nightly' });
    const reader = new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 3_600_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        reader.withPinned(async (pinned) => ({
          version: pinned.version,
          rows: await readView(pinned, 'grid_15m'),
        })),
      ),
    );
    expect(new Set(results.map((r) => r.version))).toEqual(new Set(['v1']));
    expect(new Set(results.map((r) => JSON.stringify(r.rows))).size).toBe(1);
    expect(results[0]?.rows).toHaveLength(3);
    expect(reader.stats).toMatchObject({ headChecks: 1, snapshotLoads: 1, pins: 20, activePins: 0 });
    expect(cache.downloads).toBe(1);
  });

  it('keeps serving the held version when HEAD cannot be read, and says so', async () => {
    const { dir, prefix, publisher, cache } = setup('s3-down');
    await publisher.publish(await dayInputs(db, dir, '2026-08-01', 1), { cause: 'nightly' });
    const client = createS3(config);
    let down = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (down) throw new Error('connection refused');
        return next(args);
      },
      { step: 'initialize', name: 'outage' },
    );
    const reader = new CatalogReader({ s3: client, bucket, prefix, cache, refreshMs: 0 });
    const first = await reader.pin();
    first.release();
    down = true;
    const during = await reader.pin();
    expect(during.version).toBe('v1');
    expect(reader.lastError?.message).toBe('connection refused');
    during.release();
    down = false;
    await reader.refresh();
    expect(reader.lastError).toBeUndefined();
    // a reader that never read HEAD has nothing to fall back to
    down = true;
    const cold = new CatalogReader({ s3: client, bucket, prefix, cache, refreshMs: 0 });
    await expect(cold.pin()).rejects.toThrow('connection refused');
    client.destroy();
  });

  it('concurrent publishers both land (no lost update), the loser retrying on 412', async () => {
    const { dir, prefix, publisher: b, reader } = setup('concurrent');
    await b.publish(await dayInputs(db, dir, '2026-02-01', 1), { cause: 'nightly' });

    // Publisher A's client runs B's whole publish just before A's first HEAD swap: A must lose once.
    const aClient = createS3(config);
    const headKey = catalogHeadKey(prefix);
    const bInputs = await dayInputs(db, dir, '2026-02-03', 3);
    let interleaved = false;
    aClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (context.commandName === 'PutObjectCommand' && input.Key === headKey && !interleaved) {
          interleaved = true;
          await b.publish(bInputs, { cause: 'backfill' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'interleaveOtherPublisher' },
    );
    const a = new CatalogPublisher({ s3: aClient, bucket, prefix, timeZone: TZ, retentionMs: DAY });
    const ra = await a.publish(await dayInputs(db, dir, '2026-02-02', 2), { cause: 'backfill' });
    expect(interleaved).toBe(true);
    expect(ra.attempts).toBe(2);
    expect(ra.seq).toBe(3);
    aClient.destroy();

    // plus free-running concurrency: four publishers, four days
    const pubs = [4, 5, 6, 7].map((d) => ({ d, p: setup('concurrent').publisher }));
    const results = await Promise.all(
      pubs.map(async ({ d, p }) =>
        p.publish(
          (await dayInputs(db, dir, `2026-02-0${d}`, d)).filter((i) => i.partition.startsWith('date=')),
          { cause: 'backfill' },
        ),
      ),
    );
    expect(results.map((r) => r.seq).sort()).toEqual([4, 5, 6, 7]);

    const pinned = await reader.pin();
    expect(pinned.seq).toBe(7);
    expect(pinned.partitions('meter_hourly')).toEqual(
      ['01', '02', '03', '04', '05', '06', '07'].map((d) => `date=2026-02-${d}`),
    );
    expect(pinned.watermark).toBe('2026-02-07T23:00:00Z');
    const history = await b.history();
    expect(history.map((h) => h.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    pinned.release();
  });

  it('a publisher that dies before the HEAD swap leaves the visible catalog unchanged', async () => {
    const { dir, prefix, publisher, reader } = setup('crash');
    await publisher.publish(await dayInputs(db, dir, '2026-04-01', 1), { cause: 'nightly' });
    const before = await reader.pin();

    // dies after uploading: stage without commit
    const staged = await publisher.stage(await dayInputs(db, dir, '2026-04-02', 2));
    const uploaded = staged.partitions.flatMap((p) => p.files.map((f) => f.key));
    expect(uploaded).toHaveLength(7);
    const keys = await listKeys(s3, bucket, prefix);
    for (const k of uploaded) expect(keys).toContain(k);

    // dies after writing its snapshot, before the swap (the HEAD PUT never happens)
    const dyingClient = createS3(config);
    dyingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (
          context.commandName === 'PutObjectCommand' &&
          (args.input as { Key?: string }).Key === catalogHeadKey(prefix)
        )
          throw new Error('process killed');
        return next(args);
      },
      { step: 'initialize', name: 'dieBeforeSwap' },
    );
    const dying = new CatalogPublisher({ s3: dyingClient, bucket, prefix, timeZone: TZ, retentionMs: DAY });
    await expect(dying.commit(staged, { cause: 'nightly' })).rejects.toThrow('process killed');
    dyingClient.destroy();
    expect((await listKeys(s3, bucket, `${prefix}catalog/snapshots/`)).length).toBe(2);

    const after = await reader.pin();
    expect(after.seq).toBe(before.seq);
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.partitions('meter_daily')).toEqual(['date=2026-04-01']);

    // the next publisher is not blocked by the abandoned snapshot of the same seq
    const next = await publisher.commit(staged, { cause: 'nightly' });
    expect(next).toMatchObject({ committed: true, seq: 2, attempts: 1 });
    before.release();
    after.release();
  });

  it('rolls a view back to an earlier version with a new, append-only snapshot', async () => {
    const { dir, publisher, reader } = setup('rollback');
    await publisher.publish(await dayInputs(db, dir, '2026-05-01', 1), { cause: 'nightly' });
    const v1 = await reader.pin();
    const v1Rows = await readView(v1, 'meter_daily');
    const v1Files = v1.files('meter_daily').files;
    const v1Grid = v1.view('grid_15m');
    v1.release();
    await publisher.publish(await dayInputs(db, dir, '2026-05-01', 9), { cause: 'edit' });
    await publisher.publish(await dayInputs(db, dir, '2026-05-02', 9), { cause: 'nightly' });

    const r = await publisher.rollback({ view: 'meter_daily', to: 'v1' });
    expect(r.seq).toBe(4);
    expect(r.changes).toEqual([
      expect.objectContaining({
        partition: 'date=2026-05-01',
        oldVersion: 'v2',
        newVersion: 'v4',
        restoredFrom: 'v1',
      }),
      expect.objectContaining({ partition: 'date=2026-05-02', oldVersion: 'v3', newVersion: null }),
    ]);
    const now = await reader.pin();
    expect(now.files('meter_daily').files).toEqual(v1Files);
    expect(await readView(now, 'meter_daily')).toEqual(v1Rows);
    expect(now.view('grid_15m')).not.toEqual(v1Grid); // other views untouched
    expect(now.partitions('grid_15m')).toEqual(['date=2026-05-01', 'date=2026-05-02']);
    // 05-02 is no longer complete (meter_daily lacks it): the watermark is back to the end of 05-01
    expect(now.watermark).toBe('2026-05-01T22:00:00Z');
    now.release();
    expect((await publisher.history()).map((h) => [h.seq, h.cause])).toEqual([
      [4, 'rollback'],
      [3, 'nightly'],
      [2, 'edit'],
      [1, 'nightly'],
    ]);
    await expect(publisher.rollback({ view: 'meter_daily', to: 'v99' })).rejects.toThrow(
      /not in the retained history/,
    );
  });

  it('garbage collection deletes only what no retained version references', async () => {
    // commits 60, 50 and 1 days ago (publisher clock); GC with 30 days of retention
    let clock = Date.now() - 60 * DAY;
    const { dir, prefix, publisher, reader } = setup('gc', 30 * DAY, () => clock);
    const c1 = await publisher.publish(await dayInputs(db, dir, '2026-06-01', 1), { cause: 'nightly' });
    clock = Date.now() - 50 * DAY;
    const c2 = await publisher.publish(await dayInputs(db, dir, '2026-06-01', 2), { cause: 'edit' });
    clock = Date.now() - 1 * DAY;
    const c3 = await publisher.publish(await dayInputs(db, dir, '2026-06-02', 3), { cause: 'nightly' });
    clock = Date.now();
    const orphan = await publisher.stage(await dayInputs(db, dir, '2026-06-03', 4));
    const orphanKeys = orphan.partitions.flatMap((p) => p.files.map((f) => f.key));

    const pinnedBefore = await reader.pin();
    const current = new Set(
      [
        'intervals_validated',
        'meter_hourly',
        'meter_daily',
        'meter_monthly',
        'grid_15m',
        'grid_daily',
        'billing_determinants',
      ].flatMap((v) => pinnedBefore.files(v as 'meter_daily').files.map((f) => f.key)),
    );
    pinnedBefore.release();

    // a generous grace period protects the fresh orphan uploads
    const gcNow = () => Date.now() + 1000;
    const dry = await collectGarbage({
      s3,
      bucket,
      prefix,
      retentionMs: 30 * DAY,
      orphanGraceMs: 3_600_000,
      now: gcNow,
      dryRun: true,
    });
    expect(dry.deleted).toEqual([]);

    const res = await collectGarbage({
      s3,
      bucket,
      prefix,
      retentionMs: 30 * DAY,
      orphanGraceMs: 0,
      now: gcNow,
    });
    expect(res.retainedSeqs).toEqual([3, 2]);
    const remaining = new Set(await listKeys(s3, bucket, prefix));
    // every file of the current version and of the retained v2 is still there
    for (const k of current) expect(remaining.has(k)).toBe(true);
    const v2 = (await publisher.history()).find((h) => h.seq === 2);
    expect(v2?.key).toBe(c2.snapshotKey);
    expect(remaining.has(c2.snapshotKey ?? '')).toBe(true);
    expect(remaining.has(c3.snapshotKey ?? '')).toBe(true);
    // v1's snapshot and the files only v1 referenced (v2 replaced every partition of v1) are gone
    expect(remaining.has(c1.snapshotKey ?? '')).toBe(false);
    expect(res.deleted).toContain(c1.snapshotKey);
    const v1Files = res.deleted.filter((k) => k.includes('/views/'));
    expect(v1Files.length).toBe(7 + orphanKeys.length);
    for (const k of orphanKeys) expect(remaining.has(k)).toBe(false);
    expect(res.deleted.some((k) => current.has(k))).toBe(false);

    // the current version still reads in full from a cold cache, and rollback to v2 still works
    const { cache } = setup('gc-cold');
    const cold = new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 0 });
    const p = await cold.pin();
    expect((await readView(p, 'meter_daily')).length).toBe(6);
    p.release();
    const rb = await publisher.rollback({ view: 'meter_daily', to: 2, partitions: ['date=2026-06-01'] });
    expect(rb.committed).toBe(false); // v2's content is still current for that partition
    expect((await publisher.history()).map((h) => h.seq)).toEqual([3, 2]);
    // a second run finds nothing more to delete
    const again = await collectGarbage({
      s3,
      bucket,
      prefix,
      retentionMs: 30 * DAY,
      orphanGraceMs: 0,
      now: gcNow,
    });
    expect(again.deleted).toEqual([]);
  });
});
