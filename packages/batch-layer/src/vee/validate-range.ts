/**
 * VEE range rule: per-segment limits of one interval's energy. Above the segment's maximum is
 * RANGE_HIGH. Negative energy is allowed only for prosumers (down to −maximum, their largest export)
 * and, for other meters, within a small tolerance; beyond is RANGE_NEGATIVE. Failed actuals become gaps.
 */
import type { Segment } from '@ami/shared/domain';
import { Q_A, R_RANGE_HIGH, R_RANGE_NEGATIVE } from './codes.ts';
import { rejectSlot, type VeeDay } from './model.ts';

export interface RangeLimits {
  readonly maxIntervalWh: Readonly<Record<Segment, number>>;
  readonly negativeToleranceWh: number;
}

/** Returns the number of slots rejected. */
export function validateRange(
  day: VeeDay,
  meter: { readonly segment: Segment; readonly prosumer: boolean },
  limits: RangeLimits,
): number {
  const max = limits.maxIntervalWh[meter.segment];
  const min = meter.prosumer ? -max : -limits.negativeToleranceWh;
  const { wh, quality } = day;
  let rejected = 0;
  for (let i = 0; i < day.slots; i++) {
    if (quality[i] !== Q_A) continue;
    const v = wh[i]!;
    if (v > max) {
      rejectSlot(day, i, R_RANGE_HIGH);
      rejected++;
    } else if (v < min) {
      rejectSlot(day, i, R_RANGE_NEGATIVE);
      rejected++;
    }
  }
  return rejected;
}
