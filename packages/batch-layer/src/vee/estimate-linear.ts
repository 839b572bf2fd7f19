/**
 * Estimation method 2, linear interpolation: a run of at most `maxGap` gap slots whose neighbours
 * on both sides (within the day) are actual or edited values is filled on the straight line between
 * them: v_k = round(left + (right − left) × k / (L + 1)), k = 1…L. Runs touching the day's edges,
 * an outage slot or a longer gap are left to the next methods.
 */
import { M_LINEAR, Q_E, Q_X } from './codes.ts';
import { isAnchor, type VeeDay } from './model.ts';

/** Fills gaps among slots [0, limit); returns the number of slots filled. */
export function estimateLinear(day: VeeDay, maxGap: number, limit: number): number {
  if (maxGap <= 0) return 0;
  const { quality, wh } = day;
  const n = day.slots;
  let filled = 0;
  let i = 0;
  while (i < limit) {
    if (quality[i] !== Q_X) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && quality[j] === Q_X) j++;
    // gap [i, j)
    const len = j - i;
    if (len <= maxGap && i > 0 && j < n && j <= limit && isAnchor(quality[i - 1]!) && isAnchor(quality[j]!)) {
      const left = wh[i - 1]!;
      const right = wh[j]!;
      for (let k = 1; k <= len; k++) {
        const s = i + k - 1;
        wh[s] = Math.round(left + ((right - left) * k) / (len + 1));
        quality[s] = Q_E;
        day.method[s] = M_LINEAR;
      }
      filled += len;
    }
    i = j;
  }
  return filled;
}
