/**
 * Reading the realtime view back (for the serving layer, the alert engine and tests): a meter's day
 * from its partition's keys, a grid entity's day summed over the partitions' partial aggregates,
 * and, for window evaluation, a few windows of many grid entities (readGridWindows) and which of a
 * few slots many meters have a read in (readMeterPresence), each in one script call per partition.
 */
import type { RedisClient } from '@ami/shared/clients';
import { DEFAULT_PARTITIONER, partitionOfMeter, type Partitioner } from '@ami/shared/partitioner';
import { GET_RANGES_SCRIPT } from '../redis-scripts.ts';
import { gridDayKey, meterDayKey, type GridLevel } from './keys.ts';
import {
  EMPTY_GRID_WINDOW,
  GRID_RECORD_BYTES,
  decodeGridDay,
  decodeGridWindows,
  decodeMeterDay,
  meterDayPresence,
  HEADER_BYTES,
  SLOT_BYTES,
  mergeGridWindows,
  type GridWindow,
  type MeterDay,
} from './layout.ts';

/**
 * A meter's stored day (intervals, hourly and daily sums), from the partition `partitioner`
 * (AMI_KAFKA_PARTITIONER) gives the meter.
 */
export async function readMeterDay(
  redis: RedisClient,
  keyPrefix: string,
  numPartitions: number,
  meterId: string,
  date: string,
  partitioner: Partitioner = DEFAULT_PARTITIONER,
): Promise<MeterDay> {
  const p = partitionOfMeter(meterId, numPartitions, partitioner);
  return decodeMeterDay(await redis.getBuffer(meterDayKey(keyPrefix, p, meterId, date)));
}

/**
 * The 15-minute windows of a grid entity's day, summed over every partition. One GET per partition
 * (not one MGET): the partitions' keys carry different hash tags, so in a Redis Cluster they lie in
 * different slots; the GETs are sent together and answered in one round trip per node.
 */
export async function readGridDay(
  redis: RedisClient,
  keyPrefix: string,
  numPartitions: number,
  level: GridLevel,
  id: string,
  date: string,
): Promise<GridWindow[]> {
  const keys = Array.from({ length: numPartitions }, (_, p) => gridDayKey(keyPrefix, p, level, id, date));
  const values = await Promise.all(keys.map((k) => redis.getBuffer(k)));
  return sumPartitions(values.map(decodeGridDay)) ?? decodeGridDay(null);
}

/** Sums per-partition windows (partition 0 first, then merged in order); undefined for none. */
function sumPartitions(perPartition: readonly GridWindow[][]): GridWindow[] | undefined {
  let total: GridWindow[] | undefined;
  for (const windows of perPartition) {
    total =
      total === undefined
        ? windows
        : total.map((w, i) => mergeGridWindows(w, windows[i] ?? EMPTY_GRID_WINDOW));
  }
  return total;
}

/** Keys per get-ranges.lua call (bounds the time one call holds Redis). */
const RANGES_MAX_KEYS = 1024;

/** GETRANGE start..end of every key (get-ranges.lua), one call per 1,024 keys (keys of ONE partition). */
async function getRanges(
  redis: RedisClient,
  keys: readonly string[],
  start: number,
  end: number,
): Promise<(Buffer | null)[]> {
  const out: (Buffer | null)[] = [];
  for (let i = 0; i < keys.length; i += RANGES_MAX_KEYS) {
    const part = keys.slice(i, i + RANGES_MAX_KEYS);
    const values = await GET_RANGES_SCRIPT.runBuffer(redis, part, [String(start), String(end)]);
    if (!Array.isArray(values) || values.length !== part.length) {
      throw new Error(`range read: unexpected reply for ${part.length} keys`);
    }
    for (const v of values as unknown[]) out.push(Buffer.isBuffer(v) ? v : null);
  }
  return out;
}

/**
 * For each meter, whether its meter-day of `date` has a read in each interval slot of `indexes`
 * (readMeterDay(…).intervals[i] !== undefined, without decoding whole days): one script call per
 * partition holding some of the meters (by `partitioner`, AMI_KAFKA_PARTITIONER), reading each
 * string only up to the last slot asked for.
 */
export async function readMeterPresence(
  redis: RedisClient,
  keyPrefix: string,
  numPartitions: number,
  meterIds: readonly string[],
  date: string,
  indexes: readonly number[],
  partitioner: Partitioner = DEFAULT_PARTITIONER,
): Promise<Map<string, boolean[]>> {
  const out = new Map<string, boolean[]>();
  if (meterIds.length === 0 || indexes.length === 0) {
    for (const m of meterIds)
      out.set(
        m,
        indexes.map(() => false),
      );
    return out;
  }
  const end = HEADER_BYTES + (Math.max(...indexes) + 1) * SLOT_BYTES - 1;
  const byPartition = new Map<number, string[]>();
  for (const m of meterIds) {
    const p = partitionOfMeter(m, numPartitions, partitioner);
    const list = byPartition.get(p);
    if (list === undefined) byPartition.set(p, [m]);
    else list.push(m);
  }
  await Promise.all(
    [...byPartition].map(async ([p, meters]) => {
      const values = await getRanges(
        redis,
        meters.map((m) => meterDayKey(keyPrefix, p, m, date)),
        0,
        end,
      );
      meters.forEach((m, i) => out.set(m, meterDayPresence(values[i] ?? null, indexes)));
    }),
  );
  return out;
}

/**
 * Windows `fromIndex`..`toIndex` (interval indexes of local day `date`) of each grid entity of
 * `ids`, summed over every partition — the same values as readGridDay(…)[fromIndex..toIndex], but
 * reading only those records (GETRANGE) and with one script call per partition (per 1,024 ids)
 * instead of one command per entity and partition. A partition's keys share its hash tag, so each
 * call addresses one Redis Cluster slot.
 */
export async function readGridWindows(
  redis: RedisClient,
  keyPrefix: string,
  numPartitions: number,
  level: GridLevel,
  ids: readonly string[],
  date: string,
  fromIndex: number,
  toIndex: number,
): Promise<Map<string, GridWindow[]>> {
  const count = toIndex - fromIndex + 1;
  if (!Number.isInteger(fromIndex) || fromIndex < 0 || !(count >= 1)) {
    throw new RangeError(`bad window range ${fromIndex}..${toIndex}`);
  }
  const out = new Map<string, GridWindow[]>();
  if (ids.length === 0) return out;
  const start = fromIndex * GRID_RECORD_BYTES;
  const end = (fromIndex + count) * GRID_RECORD_BYTES - 1;
  const perPartition = await Promise.all(
    Array.from({ length: numPartitions }, async (_, p) => {
      const keys = ids.map((id) => gridDayKey(keyPrefix, p, level, id, date));
      return (await getRanges(redis, keys, start, end)).map((v) => decodeGridWindows(v, count));
    }),
  );
  ids.forEach((id, i) => {
    out.set(
      id,
      sumPartitions(perPartition.map((windows) => windows[i] ?? [])) ?? decodeGridWindows(null, count),
    );
  });
  return out;
}
