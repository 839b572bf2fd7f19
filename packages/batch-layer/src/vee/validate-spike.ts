/**
 * VEE spike rule: an actual interval above max(floor, factor × the meter's recent level) is a SPIKE
 * and becomes a gap. The level is a high percentile of the meter's recent actual intervals
 * (history-stats.ts); with fewer than `minHistoryIntervals` of them the rule does not judge. The
 * history is only looked at when some value of the day is above the floor.
 */
import { Q_A, R_SPIKE } from './codes.ts';
import type { HistoryStats } from './history-stats.ts';
import { rejectSlot, type VeeDay } from './model.ts';

export interface SpikeParams {
  readonly spikeFactor: number;
  readonly spikeFloorWh: number;
  readonly minHistoryIntervals: number;
}

/** Returns the number of slots rejected. `stats` is called at most once, and only when needed. */
export function validateSpikes(day: VeeDay, stats: () => HistoryStats, p: SpikeParams): number {
  const { wh, quality } = day;
  let candidate = false;
  for (let i = 0; i < day.slots; i++) {
    if (quality[i] === Q_A && wh[i]! > p.spikeFloorWh) {
      candidate = true;
      break;
    }
  }
  if (!candidate) return 0;
  const s = stats();
  if (s.count < p.minHistoryIntervals) return 0;
  const threshold = Math.max(p.spikeFloorWh, p.spikeFactor * s.level);
  let rejected = 0;
  for (let i = 0; i < day.slots; i++) {
    if (quality[i] === Q_A && wh[i]! > threshold) {
      rejectSlot(day, i, R_SPIKE);
      rejected++;
    }
  }
  return rejected;
}
