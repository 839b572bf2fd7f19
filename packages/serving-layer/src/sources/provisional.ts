/**
 * Provisional side of a series: the speed layer's realtime view in Redis (@ami/speed-layer readers).
 * Only local dates the view still holds are read: each partition registers its dates in
 * `{rv:p}:days` (the retention sweep removes them), so a long request after a stale watermark costs
 * one HKEYS per partition, not one GET per requested day.
 */
import type { RedisClient } from '@ami/shared/clients';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { INTERVAL_MS, intervalStartsOfLocalDay } from '@ami/shared/time';
import { readGridDay, readMeterDay, type GridLevel } from '@ami/speed-layer';
import { daysKey } from '@ami/speed-layer/realtime-view/keys';
import type { ProvisionalGridWindow, ProvisionalMeterInterval } from '../merge/index.ts';

export interface RealtimeSource {
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  readonly partitions: number;
  readonly timeZone: string;
}

/** The subset of `dates` that any of `partitions` holds, in the order given. */
async function heldDates(src: RealtimeSource, partitions: readonly number[], dates: readonly string[]) {
  if (dates.length === 0) return [];
  // One HKEYS per partition sent together (not a pipeline: in a Redis Cluster the partitions' hash
  // tags put the registries on different nodes, and an ioredis pipeline must stay on one node).
  const registries = await Promise.all(partitions.map((p) => src.redis.hkeys(daysKey(src.keyPrefix, p))));
  const held = new Set<string>();
  for (const keys of registries) for (const d of keys) held.add(d);
  return dates.filter((d) => held.has(d));
}

/** A meter's realtime intervals on local dates `dates` (only those with a read). */
export async function readMeterProvisional(
  src: RealtimeSource,
  meterId: string,
  dates: readonly string[],
): Promise<ProvisionalMeterInterval[]> {
  const partition = partitionOfMeter(meterId, src.partitions);
  const held = await heldDates(src, [partition], dates);
  const days = await Promise.all(
    held.map((d) => readMeterDay(src.redis, src.keyPrefix, src.partitions, meterId, d)),
  );
  const out: ProvisionalMeterInterval[] = [];
  held.forEach((date, k) => {
    const starts = intervalStartsOfLocalDay(date, src.timeZone);
    for (const iv of days[k]!.intervals) {
      if (iv === undefined) continue;
      const startMs = starts[iv.index];
      if (startMs === undefined) throw new Error(`realtime view: slot ${iv.index} beyond day ${date}`);
      out.push({ startMs, wh: iv.wh });
    }
  });
  return out;
}

/**
 * A grid entity's realtime windows on local dates `dates`: every window of a held day that has reads
 * or has already closed (`nowMs`), so a silent window counts against the receipt rate while windows
 * still to come do not.
 */
export async function readGridProvisional(
  src: RealtimeSource,
  level: GridLevel,
  entityId: string,
  dates: readonly string[],
  nowMs: number,
): Promise<ProvisionalGridWindow[]> {
  const all = Array.from({ length: src.partitions }, (_, p) => p);
  const held = await heldDates(src, all, dates);
  const days = await Promise.all(
    held.map((d) => readGridDay(src.redis, src.keyPrefix, src.partitions, level, entityId, d)),
  );
  const out: ProvisionalGridWindow[] = [];
  held.forEach((date, k) => {
    const starts = intervalStartsOfLocalDay(date, src.timeZone);
    const windows = days[k]!;
    starts.forEach((startMs, i) => {
      const w = windows[i];
      if (w === undefined) return;
      if (w.metersReported === 0 && startMs + INTERVAL_MS > nowMs) return;
      out.push({
        startMs,
        wh: w.energyWh,
        metersReported: w.metersReported,
        voltageSumCv: w.voltageSumCv,
        voltageCount: w.voltageCount,
        voltageMinCv: w.voltageMinCv,
        voltageMaxCv: w.voltageMaxCv,
      });
    });
  });
  return out;
}
