/**
 * Reading the realtime view back (for the serving layer and tests): a meter's day from its
 * partition's keys, a grid entity's day summed over the partitions' partial aggregates.
 */
import type { Redis } from 'ioredis';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { gridDayKey, meterDayKey, type GridLevel } from './keys.ts';
import {
  EMPTY_GRID_WINDOW,
  decodeGridDay,
  decodeMeterDay,
  mergeGridWindows,
  type GridWindow,
  type MeterDay,
} from './layout.ts';

/** A meter's stored day (intervals, hourly and daily sums). */
export async function readMeterDay(
  redis: Redis,
  keyPrefix: string,
  numPartitions: number,
  meterId: string,
  date: string,
): Promise<MeterDay> {
  const p = partitionOfMeter(meterId, numPartitions);
  return decodeMeterDay(await redis.getBuffer(meterDayKey(keyPrefix, p, meterId, date)));
}

/** The 15-minute windows of a grid entity's day, summed over every partition. */
export async function readGridDay(
  redis: Redis,
  keyPrefix: string,
  numPartitions: number,
  level: GridLevel,
  id: string,
  date: string,
): Promise<GridWindow[]> {
  const keys = Array.from({ length: numPartitions }, (_, p) => gridDayKey(keyPrefix, p, level, id, date));
  const values = await redis.mgetBuffer(...keys);
  let total: GridWindow[] | undefined;
  for (const v of values) {
    const windows = decodeGridDay(v);
    total =
      total === undefined
        ? windows
        : total.map((w, i) => mergeGridWindows(w, windows[i] ?? EMPTY_GRID_WINDOW));
  }
  return total ?? decodeGridDay(null);
}
