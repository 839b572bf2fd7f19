/**
 * The alert engine's batched reads against real Redis: readGridWindows must return exactly the
 * windows readGridDay returns for the same entities (summed over the partitions, entities without
 * any key, ranges up to the day's end, more ids than one script call takes), readMeterPresence
 * exactly the presence readMeterDay's intervals give.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@ami/shared/clients';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import {
  readGridDay,
  readGridWindows,
  readMeterDay,
  readMeterPresence,
} from '../src/realtime-view/read-view.ts';
import { applyToRealtimeView, intervalReadMessage, type SeedRead } from '../src/testing/realtime-seed.ts';
import { TZ } from './support/fleet.ts';

const PARTITIONS = 6;
const DATE = '2025-03-10';
const DAY_START = localDayBounds(DATE, TZ).startMs;
const INTERVAL = 900_000;

describe('batched realtime-view reads against real Redis', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'speed-read-view-it' });
  const prefix = uniqueName('rvwin');

  afterAll(async () => {
    for (let p = 0; p < PARTITIONS; p++) {
      const keys = await redis.keys(`{${prefix}:${p}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('returns the same windows as readGridDay, summed over the partitions', async () => {
    // TX-A: 12 meters on several partitions, windows 0–9 with varying energy and voltage;
    // TX-B: 3 meters, only windows 4 and 6; TX-C: no reads at all.
    const reads: SeedRead[] = [];
    const add = (tx: string, meterId: string, window: number, wh: number, voltage: number) =>
      reads.push({
        message: intervalReadMessage({
          meterId,
          startMs: DAY_START + window * INTERVAL,
          wh,
          transformerId: tx,
          feederId: 'FD-1',
          voltage,
        }),
        attribution: { transformerId: tx, feederId: 'FD-1', substationId: 'SS-1', region: 'R1' },
      });
    const aMeters = Array.from({ length: 12 }, (_, i) => `MA-${String(i).padStart(3, '0')}`);
    aMeters.forEach((m, i) => {
      for (let w = 0; w < 10; w++) if ((i + w) % 5 !== 0) add('TX-A', m, w, 100 * i + w, 220 + i + w / 10);
    });
    ['MB-1', 'MB-2', 'MB-3'].forEach((m, i) => {
      add('TX-B', m, 4, 50 + i, 240 - i);
      add('TX-B', m, 6, 70 + i, 250 + i);
    });
    // the merge over partitions is exercised only when TX-A's meters are spread over several
    expect(new Set(aMeters.map((m) => partitionOfMeter(m, PARTITIONS))).size).toBeGreaterThan(2);
    await applyToRealtimeView(
      redis,
      { keyPrefix: prefix, partitions: PARTITIONS, timeZone: TZ, nowMs: Date.now() },
      reads,
    );

    const ids = ['TX-A', 'TX-B', 'TX-C'];
    const days = new Map<string, Awaited<ReturnType<typeof readGridDay>>>();
    for (const id of ids) days.set(id, await readGridDay(redis, prefix, PARTITIONS, 'transformer', id, DATE));
    expect(days.get('TX-A')?.[3]?.metersReported).toBeGreaterThan(0);

    for (const [from, to] of [
      [0, 0],
      [2, 5],
      [3, 9],
      [94, 99],
    ] as const) {
      const got = await readGridWindows(redis, prefix, PARTITIONS, 'transformer', ids, DATE, from, to);
      expect([...got.keys()]).toEqual(ids);
      for (const id of ids) expect(got.get(id)).toEqual(days.get(id)?.slice(from, to + 1));
    }
    // more ids than one script call takes: still in order, TX-A's windows last
    const many = [...Array.from({ length: 1100 }, (_, i) => `TX-N${i}`), 'TX-A'];
    const manyGot = await readGridWindows(redis, prefix, PARTITIONS, 'transformer', many, DATE, 2, 5);
    expect(manyGot.size).toBe(many.length);
    expect(manyGot.get('TX-A')).toEqual(days.get('TX-A')?.slice(2, 6));
    expect(manyGot.get('TX-N1099')).toEqual(days.get('TX-C')?.slice(2, 6));
    expect(await readGridWindows(redis, prefix, PARTITIONS, 'transformer', [], DATE, 0, 3)).toEqual(
      new Map(),
    );

    // presence of meters with and without reads, on several partitions
    const meters = [...aMeters, 'MB-1', 'MB-2', 'MB-3', 'MX-none'];
    for (const indexes of [[0, 1, 2, 3], [3, 4, 5, 6], [9], [95, 96, 99]]) {
      const got = await readMeterPresence(redis, prefix, PARTITIONS, meters, DATE, indexes);
      for (const m of meters) {
        const day = await readMeterDay(redis, prefix, PARTITIONS, m, DATE);
        expect(got.get(m)).toEqual(indexes.map((i) => day.intervals[i] !== undefined));
      }
    }
    const sample = await readMeterPresence(redis, prefix, PARTITIONS, meters, DATE, [4, 5]);
    expect(sample.get('MA-001')).toEqual([false, true]);
    expect(sample.get('MB-2')).toEqual([true, false]);
    expect(sample.get('MX-none')).toEqual([false, false]);

    await expect(readGridWindows(redis, prefix, PARTITIONS, 'transformer', ids, DATE, 5, 4)).rejects.toThrow(
      RangeError,
    );
  });
});
