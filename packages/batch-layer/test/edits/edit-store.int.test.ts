/**
 * The edit store against real MinIO and Redis: append-only records (a second write of a key is
 * refused and the first stays), listing by day and by meter, dirty-day marks, storm releases.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, createS3 } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { DirtyDays, dirtyDaysKey } from '../../src/archiver/dirty-days.ts';
import {
  AppendConflictError,
  EditStore,
  EditValidationError,
  StormReleases,
  toManualEdit,
  type EditInput,
} from '../../src/edits/index.ts';
import { deletePrefix, listKeys } from '../catalog/support.ts';

const TZ = 'Europe/Stockholm';

describe('edit store on MinIO + Redis', () => {
  const config = integrationConfig();
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'edit-store-it' });
  const prefix = `it/${uniqueName('edits')}/`;
  const dirtyPrefix = uniqueName('edits-dirty');
  const dirtyDays = new DirtyDays(redis, dirtyPrefix);
  let clock = Date.UTC(2025, 2, 12, 8, 0, 0);
  const now = () => clock;
  const store = new EditStore({ s3, bucket, prefix, timeZone: TZ, dirtyDays, now });

  afterAll(async () => {
    await deletePrefix(s3, bucket, prefix);
    await redis.del(dirtyDaysKey(dirtyPrefix));
    redis.disconnect();
    s3.destroy();
  });

  const edit = (meter: string, start: string, wh: number): EditInput => ({
    meter_id: meter,
    interval_start: start,
    wh,
    reason: `fix ${meter}`,
    who: 'editor-1',
    original_wh: null,
  });

  it('stores edits append-only, lists them by day and meter and marks their days dirty', async () => {
    // 2025-03-10T23:00Z is already 2025-03-11 in Stockholm: the edit belongs to the local day.
    const a = await store.append(edit('MTR-1', '2025-03-10T10:00:00Z', 100));
    clock += 1000;
    const b = await store.append(edit('MTR-2', '2025-03-10T10:15:00Z', 200));
    clock += 1000;
    const c = await store.append(edit('MTR-1', '2025-03-10T23:00:00Z', 300));
    clock += 1000;
    const d = await store.append(edit('MTR-1', '2025-03-10T10:00:00Z', 110)); // a correction: a new edit

    expect(await store.listForDay('2025-03-10')).toEqual([a, b, d]);
    expect(await store.listForDay('2025-03-11')).toEqual([c]);
    expect(await store.listForDay('2025-03-09')).toEqual([]);
    expect(await store.listForMeter('MTR-1', '2025-03-09', '2025-03-11')).toEqual([a, d, c]);
    expect(await store.listForMeter('MTR-2', '2025-03-11', '2025-03-11')).toEqual([]);
    expect((await store.listForDay('2025-03-10')).map(toManualEdit).map((e) => e.wh)).toEqual([
      100, 200, 110,
    ]);

    const marks = await dirtyDays.listDirty();
    expect(marks.map((m) => m.date)).toEqual(['2025-03-10', '2025-03-11']);

    const keys = await listKeys(s3, bucket, `${prefix}edits/`);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toBe(
      `${prefix}edits/date=2025-03-10/${String(Date.UTC(2025, 2, 12, 8)).padStart(13, '0')}-${a.edit_id}.json`,
    );
  });

  it('refuses a second write of the same key and keeps the first record', async () => {
    const atMs = Date.UTC(2025, 2, 12, 9, 0, 0);
    const editId = '11111111-2222-4333-8444-555555555555';
    const first = await store.append(edit('MTR-9', '2025-03-05T06:00:00Z', 1), { editId, atMs });
    await expect(
      store.append(edit('MTR-9', '2025-03-05T06:00:00Z', 999), { editId, atMs }),
    ).rejects.toBeInstanceOf(AppendConflictError);
    const listed = await store.listForDay('2025-03-05');
    expect(listed).toEqual([first]);
    const key = `${prefix}edits/date=2025-03-05/${String(atMs).padStart(13, '0')}-${editId}.json`;
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body?.transformToString();
    expect(JSON.parse(body ?? '{}')).toMatchObject({ wh: 1 });
  });

  it('rejects invalid edits before writing anything', async () => {
    const before = await listKeys(s3, bucket, `${prefix}edits/`);
    await expect(store.append(edit('MTR-1', '2025-03-10T10:05:00Z', 1))).rejects.toBeInstanceOf(
      EditValidationError,
    );
    await expect(
      store.append({ ...edit('MTR-1', '2025-03-10T10:00:00Z', 1), reason: 'r'.repeat(501) }),
    ).rejects.toMatchObject({ name: 'EditValidationError', field: '/reason' });
    expect(await listKeys(s3, bucket, `${prefix}edits/`)).toEqual(before);
  });

  it('stores storm releases and returns their keys per day', async () => {
    const releases = new StormReleases({ s3, bucket, prefix, dirtyDays, now });
    const r1 = await releases.release({
      level: 'feeder',
      entityId: 'FDR-7',
      date: '2025-02-01',
      reason: 'restored',
      who: 'ops',
    });
    clock += 1;
    await releases.release({
      level: 'region',
      entityId: 'NORTH',
      date: '2025-02-01',
      reason: 'restored',
      who: 'ops',
    });
    expect(await releases.releasesForDay('2025-02-01')).toEqual(new Set(['feeder:FDR-7', 'region:NORTH']));
    expect(await releases.releasesForDay('2025-02-02')).toEqual(new Set());
    expect((await releases.listForDay('2025-02-01'))[0]).toEqual(r1);
    expect((await dirtyDays.listDirty()).map((m) => m.date)).toContain('2025-02-01');
    await expect(
      releases.release({ level: 'feeder', entityId: 'FDR-7', date: '2025-02-31', reason: 'x', who: 'ops' }),
    ).rejects.toBeInstanceOf(EditValidationError);
  });
});
