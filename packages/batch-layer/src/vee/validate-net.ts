/**
 * VEE net rule: an interval's consumption must equal delivered − received within a tolerance (Wh);
 * otherwise NET_MISMATCH and the value becomes a gap.
 */
import { Q_A, R_NET_MISMATCH } from './codes.ts';
import { rejectSlot, type VeeDay } from './model.ts';

/** Returns the number of slots rejected. */
export function validateNet(day: VeeDay, toleranceWh: number): number {
  const { wh, quality, deliveredWh, receivedWh } = day;
  let rejected = 0;
  for (let i = 0; i < day.slots; i++) {
    if (quality[i] !== Q_A) continue;
    const diff = wh[i]! - (deliveredWh[i]! - receivedWh[i]!);
    if (diff > toleranceWh || diff < -toleranceWh) {
      rejectSlot(day, i, R_NET_MISMATCH);
      rejected++;
    }
  }
  return rejected;
}
