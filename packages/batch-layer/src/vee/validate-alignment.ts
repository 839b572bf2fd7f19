/**
 * VEE validation, first step: places the day's reads into slots and applies the alignment and
 * future-timestamp rules.
 *  - A read whose interval_start is not on a 15-minute boundary is MISALIGNED_INTERVAL: its value
 *    becomes the original of the slot containing it (unless an aligned read holds that slot) and
 *    the slot stays a gap.
 *  - A read whose interval has not ended at `now` (interval_start + 15 min > now) is FUTURE_TIMESTAMP.
 *  - Two aligned reads for one slot (the input should be deduplicated) keep the larger consumption
 *    (the shared tie rule) and add a DUPLICATE_READ issue; reads outside the day add READ_OUTSIDE_DAY.
 * A placed read is an actual for now, whatever its estimated_flag (kept per slot in headEndFlag):
 * the validation rules judge head-end estimates like any read, and markHeadEndEstimates labels the
 * ones they keep afterwards.
 */
import { INTERVAL_MS } from '@ami/shared/time';
import { Q_A, Q_X, R_FUTURE, R_MISALIGNED, R_NONE } from './codes.ts';
import { addIssue, type MeterDayReads, type VeeDay } from './model.ts';

export interface PlacementOptions {
  readonly nowMs: number;
  readonly checkAlignment: boolean;
  readonly checkFuture: boolean;
}

export interface PlacementResult {
  readonly placed: number;
  readonly misaligned: number;
  readonly future: number;
  readonly duplicates: number;
  readonly outside: number;
}

export function placeReads(day: VeeDay, reads: MeterDayReads, opts: PlacementOptions): PlacementResult {
  const { firstSlotMs, endMs } = day.layout;
  const n = reads.startMs.length;
  const { quality, reason, originalWh, hasOriginal, wh, deliveredWh, receivedWh, headEndFlag } = day;
  let placed = 0,
    misaligned = 0,
    future = 0,
    duplicates = 0,
    outside = 0;
  for (let k = 0; k < n; k++) {
    const s = reads.startMs[k]!;
    if (!(s >= firstSlotMs && s < endMs)) {
      outside++;
      continue;
    }
    const offset = s - firstSlotMs;
    const i = Math.floor(offset / INTERVAL_MS);
    const aligned = offset % INTERVAL_MS === 0;
    const v = reads.wh[k]!;
    if (!aligned && opts.checkAlignment) {
      misaligned++;
      // An aligned read (or an earlier misaligned one) already holds the slot: nothing to keep.
      if (hasOriginal[i] === 1) continue;
      hasOriginal[i] = 1;
      originalWh[i] = v;
      deliveredWh[i] = reads.deliveredWh[k]!;
      receivedWh[i] = reads.receivedWh[k]!;
      headEndFlag[i] = reads.estimatedFlag[k]!;
      quality[i] = Q_X;
      reason[i] = R_MISALIGNED;
      continue;
    }
    if (hasOriginal[i] === 1 && reason[i] !== R_MISALIGNED) {
      duplicates++;
      if (v <= originalWh[i]!) continue;
    }
    hasOriginal[i] = 1;
    originalWh[i] = v;
    deliveredWh[i] = reads.deliveredWh[k]!;
    receivedWh[i] = reads.receivedWh[k]!;
    headEndFlag[i] = reads.estimatedFlag[k]!;
    if (opts.checkFuture && firstSlotMs + (i + 1) * INTERVAL_MS > opts.nowMs) {
      quality[i] = Q_X;
      reason[i] = R_FUTURE;
      wh[i] = 0;
    } else {
      quality[i] = Q_A;
      reason[i] = R_NONE;
      wh[i] = v;
    }
  }
  // Count per slot (a duplicate may have replaced a slot's read).
  for (let i = 0; i < day.slots; i++) {
    if (reason[i] === R_FUTURE) future++;
    else if (quality[i] === Q_A) placed++;
  }
  if (duplicates > 0) {
    addIssue(
      day,
      'DUPLICATE_READ',
      `${duplicates} read(s) for an already filled slot (larger consumption kept)`,
    );
  }
  if (outside > 0) addIssue(day, 'READ_OUTSIDE_DAY', `${outside} read(s) outside the local day ignored`);
  return { placed, misaligned, future, duplicates, outside };
}
