import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@ami/shared/clients';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { DirtyDays, dirtyDaysKey } from '../../src/archiver/index.ts';

describe('dirty-day marks (real Redis)', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'dirty-days-it' });
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const p of prefixes) await redis.del(dirtyDaysKey(p));
    redis.disconnect();
  });

  it('lists marked days; a build clears a day only if no mark arrived during it', async () => {
    const prefix = uniqueName('dirty');
    prefixes.push(prefix);
    const dirty = new DirtyDays(redis, prefix);
    expect(await dirty.listDirty()).toEqual([]);

    await dirty.markDirty(['2026-03-29', '2026-03-28', '2026-03-29'], 1000);
    const seen = await dirty.listDirty();
    expect(seen).toEqual([
      { date: '2026-03-28', markedAtMs: 1000 },
      { date: '2026-03-29', markedAtMs: 1000 },
    ]);

    // a mark arrives for 03-29 while a build of both days runs — even with the same clock value
    await dirty.markDirty(['2026-03-29'], 1000);
    // and a mark with an older clock (another process) still counts as new
    await dirty.markDirty(['2026-03-29'], 500);

    expect(await dirty.clearDirtyIfUnchanged('2026-03-28', 1000)).toBe(true);
    expect(await dirty.clearDirtyIfUnchanged('2026-03-29', 1000)).toBe(false);
    expect(await dirty.listDirty()).toEqual([{ date: '2026-03-29', markedAtMs: 1002 }]);

    // the next sweep sees the new stamp and clears it
    expect(await dirty.clearDirtyIfUnchanged('2026-03-29', 1002)).toBe(true);
    expect(await dirty.listDirty()).toEqual([]);
    expect(await dirty.clearDirtyIfUnchanged('2026-03-29', 1002)).toBe(false);

    await dirty.markDirty([], 5);
    expect(await dirty.listDirty()).toEqual([]);
    await expect(dirty.markDirty(['2026-02-30'], 5)).rejects.toThrow(/invalid local date/);
  });
});
