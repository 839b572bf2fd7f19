/**
 * Reads the realtime view back through the public readers and returns it in the model's shape,
 * so a test can assert `toEqual(model)` with exact integers.
 */
import type { RedisClient } from '@ami/shared/clients';
import { localDayBounds } from '@ami/shared/time';
import type { GridLevel } from '../../src/realtime-view/keys.ts';
import { hourSlotStartMs } from '../../src/realtime-view/layout.ts';
import { readGridDay, readMeterDay } from '../../src/realtime-view/read-view.ts';
import { TZ, type Meter, type Model, type ModelWindow } from './fleet.ts';

export async function viewAsModel(
  redis: RedisClient,
  keyPrefix: string,
  partitions: number,
  meters: readonly Meter[],
  date: string,
): Promise<Model> {
  const dayStart = localDayBounds(date, TZ).startMs;
  const meterDays: Model['meterDays'] = new Map();
  for (const m of meters) {
    const day = await readMeterDay(redis, keyPrefix, partitions, m.meterId, date);
    const intervals = new Map<number, { wh: number; est: boolean; cv: number }>();
    day.intervals.forEach((s) => {
      if (s) intervals.set(s.index, { wh: s.wh, est: s.estimated, cv: s.voltageCv });
    });
    if (intervals.size === 0) continue;
    const hourly = new Map<number, number>();
    day.hourlyWh.forEach((wh, slot) => {
      if (wh !== 0) hourly.set(hourSlotStartMs(slot, dayStart), wh);
    });
    meterDays.set(`${m.meterId}|${date}`, { daily: day.dailyWh, hourly, intervals });
  }
  const grid = new Map<string, ModelWindow>();
  const entities: [GridLevel, Set<string>][] = [
    ['transformer', new Set(meters.map((m) => m.transformerId))],
    ['feeder', new Set(meters.map((m) => m.feederId))],
    ['substation', new Set(meters.map((m) => m.substationId))],
    ['region', new Set(meters.map((m) => m.region))],
  ];
  for (const [level, ids] of entities) {
    for (const id of ids) {
      const windows = await readGridDay(redis, keyPrefix, partitions, level, id, date);
      windows.forEach((w, i) => {
        if (w.metersReported === 0 && w.energyWh === 0 && w.voltageMinCv === null) return;
        grid.set(`${level}|${id}|${date}|${i}`, {
          energyWh: w.energyWh,
          meters: w.metersReported,
          estimated: w.estimatedCount,
          voltageSumCv: w.voltageSumCv,
          vmin: w.voltageMinCv,
          vmax: w.voltageMaxCv,
        });
      });
    }
  }
  return { meterDays, grid };
}

/** Drops zero hourly sums from a model (the view cannot tell a zero sum from no sum). */
export function normalise(m: Model): Model {
  for (const d of m.meterDays.values()) for (const [h, wh] of d.hourly) if (wh === 0) d.hourly.delete(h);
  return m;
}
