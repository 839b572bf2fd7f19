/**
 * Voltage by transformer over the latest closed 15-minute windows (the dashboard's heat map, GET
 * /v1/realtime/voltage): which windows to show, one cell per transformer and window from the
 * realtime view's grid windows (`RealtimeView.gridDay`, summed over partitions by the speed layer),
 * and the reading itself.
 * The transformers of a feeder come from the feeder roster of the newest published day (the same
 * meter_daily roster /v1/realtime/overview uses).
 */
import { INTERVAL_MS, intervalIndexInLocalDay, localDate } from '@ami/shared/time';
import type { GridWindow, RealtimeView } from '@ami/speed-layer/realtime-view';

/** One transformer's voltage in one window (null values: no read in the window). */
export interface VoltageCell {
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly meters_reported: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** A grid window's voltage in volts (average over the meters that reported, min, max). */
export function voltageCell(w: GridWindow): VoltageCell {
  return {
    avg: w.voltageCount === 0 ? null : round2(w.voltageSumCv / w.voltageCount / 100),
    min: w.voltageMinCv === null ? null : w.voltageMinCv / 100,
    max: w.voltageMaxCv === null ? null : w.voltageMaxCv / 100,
    meters_reported: w.metersReported,
  };
}

/** Starts of the `count` windows ending with the one that starts at `lastStartMs`, oldest first. */
export function windowStarts(lastStartMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lastStartMs - (count - 1 - i) * INTERVAL_MS);
}

/** Transformers of `feederId` in a transformer → feeder map, sorted. */
export function transformersOfFeeder(
  feederOfTransformer: ReadonlyMap<string, string>,
  feederId: string,
): string[] {
  const out: string[] = [];
  for (const [tx, f] of feederOfTransformer) if (f === feederId) out.push(tx);
  return out.sort();
}

export interface TransformerVoltage {
  readonly transformer_id: string;
  /** Aligned with the windows asked for. */
  readonly cells: VoltageCell[];
}

/**
 * Each transformer's cells in the windows starting at `starts` (one grid day per transformer and
 * local date the windows touch).
 */
export async function readTransformerVoltages(
  view: RealtimeView,
  transformerIds: readonly string[],
  starts: readonly number[],
): Promise<TransformerVoltage[]> {
  const timeZone = view.timeZone;
  const slots = starts.map((s) => ({
    date: localDate(s, timeZone),
    index: intervalIndexInLocalDay(s, timeZone),
  }));
  const dates = [...new Set(slots.map((s) => s.date))];
  return Promise.all(
    transformerIds.map(async (id) => {
      const days = new Map<string, GridWindow[]>();
      await Promise.all(dates.map(async (d) => days.set(d, await view.gridDay('transformer', id, d))));
      return {
        transformer_id: id,
        cells: slots.map((s) => {
          const w = days.get(s.date)?.[s.index];
          return w === undefined ? { avg: null, min: null, max: null, meters_reported: 0 } : voltageCell(w);
        }),
      };
    }),
  );
}
