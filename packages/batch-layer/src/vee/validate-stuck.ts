/**
 * VEE stuck-at-zero rule: a run of ≥ `stuckMinRun` consecutive actual intervals with consumption,
 * delivered and received all 0 is STUCK_AT_ZERO (every slot of the run becomes a gap) when the
 * meter normally consumes: its recent history has at least `minHistoryIntervals` actual intervals
 * of which at most `stuckMaxHistoryZeroShare` are zero. Slots inside an outage span break a run
 * (zero is the truth there). History is only looked at when a long enough run exists.
 */
import { Q_A, R_STUCK_AT_ZERO } from './codes.ts';
import type { HistoryStats } from './history-stats.ts';
import { rejectSlot, type VeeDay } from './model.ts';

export interface StuckParams {
  readonly stuckMinRun: number;
  readonly stuckMaxHistoryZeroShare: number;
  readonly minHistoryIntervals: number;
}

/** Returns the number of slots rejected. `outage` (or null) marks slots inside an outage span. */
export function validateStuckAtZero(
  day: VeeDay,
  outage: Uint8Array | null,
  stats: () => HistoryStats,
  p: StuckParams,
): number {
  const { wh, quality, deliveredWh, receivedWh } = day;
  const n = day.slots;
  let rejected = 0;
  let judged: boolean | undefined;
  let runStart = -1;
  for (let i = 0; i <= n; i++) {
    const zero =
      i < n &&
      quality[i] === Q_A &&
      wh[i] === 0 &&
      deliveredWh[i] === 0 &&
      receivedWh[i] === 0 &&
      (outage === null || outage[i] === 0);
    if (zero) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0 && i - runStart >= p.stuckMinRun) {
      if (judged === undefined) {
        const s = stats();
        judged = s.count >= p.minHistoryIntervals && s.zeroShare <= p.stuckMaxHistoryZeroShare;
      }
      if (judged) {
        for (let j = runStart; j < i; j++) rejectSlot(day, j, R_STUCK_AT_ZERO);
        rejected += i - runStart;
      }
    }
    runStart = -1;
  }
  return rejected;
}
