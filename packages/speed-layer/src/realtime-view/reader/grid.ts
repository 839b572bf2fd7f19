/**
 * A grid entity's windows from the realtime view, summed over the partitions' partial aggregates
 * (read-view.ts `readGridDay`): over several local dates as a tail of timed windows, or one window
 * (by its start) of several entities.
 */
import { INTERVAL_MS, intervalIndexInLocalDay, intervalStartsOfLocalDay, localDate } from '@ami/shared/time';
import type { GridLevel } from '../keys.ts';
import { EMPTY_GRID_WINDOW, type GridWindow } from '../layout.ts';
import { readGridDay } from '../read-view.ts';
import { heldDates } from './held-days.ts';
import { allPartitions, type RealtimeViewOptions } from './options.ts';

/** One 15-minute window of a grid entity with its UTC start. */
export interface GridTailWindow {
  /** UTC start of the window, epoch ms. */
  readonly startMs: number;
  readonly wh: number;
  readonly metersReported: number;
  readonly voltageSumCv: number;
  readonly voltageCount: number;
  readonly voltageMinCv: number | null;
  readonly voltageMaxCv: number | null;
}

/**
 * The entity's windows on local dates `dates`: every window of a held date that has reads or has
 * already closed at `nowMs`, so a silent window counts against the receipt rate while windows still
 * to come do not.
 */
export async function readGridTail(
  view: RealtimeViewOptions,
  level: GridLevel,
  entityId: string,
  dates: readonly string[],
  nowMs: number,
): Promise<GridTailWindow[]> {
  const held = await heldDates(view, allPartitions(view), dates);
  const days = await Promise.all(
    held.map((d) => readGridDay(view.redis, view.keyPrefix, view.partitions, level, entityId, d)),
  );
  const out: GridTailWindow[] = [];
  held.forEach((date, k) => {
    const starts = intervalStartsOfLocalDay(date, view.timeZone);
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

/** The window starting at `startMs` of each of `ids` (aligned with `ids`; empty when no reads). */
export async function readGridWindowsAt(
  view: RealtimeViewOptions,
  level: GridLevel,
  ids: readonly string[],
  startMs: number,
): Promise<GridWindow[]> {
  const date = localDate(startMs, view.timeZone);
  const index = intervalIndexInLocalDay(startMs, view.timeZone);
  const days = await Promise.all(
    ids.map((id) => readGridDay(view.redis, view.keyPrefix, view.partitions, level, id, date)),
  );
  return days.map((windows) => windows[index] ?? EMPTY_GRID_WINDOW);
}
