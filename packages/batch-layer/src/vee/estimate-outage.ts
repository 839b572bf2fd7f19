/**
 * Estimation method 1, outage fill: a gap inside an outage span is 0 Wh with class O and method
 * OUTAGE_FILL — no supply, so never estimated usage. Actual reads inside a span are kept.
 */
import { M_OUTAGE_FILL, Q_O, Q_X } from './codes.ts';
import type { VeeDay } from './model.ts';

/** Fills gaps among slots [0, limit); returns the number of slots filled. */
export function fillOutages(day: VeeDay, mask: Uint8Array | null, limit: number): number {
  if (mask === null) return 0;
  let filled = 0;
  for (let i = 0; i < limit; i++) {
    if (mask[i] === 1 && day.quality[i] === Q_X) {
      day.quality[i] = Q_O;
      day.method[i] = M_OUTAGE_FILL;
      day.wh[i] = 0;
      filled++;
    }
  }
  return filled;
}
