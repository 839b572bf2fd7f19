/**
 * What the spike and stuck-at-zero rules need from a meter's recent history: the number of actual
 * (A or M) intervals in the last `historyDays` days before the day, the share of them that are zero,
 * and a robust level (a high percentile of the values, found by quickselect in O(n)).
 */
import { addLocalDays } from '@ami/shared/time';
import { Q_A, Q_M } from './codes.ts';
import type { HistoryDay } from './model.ts';

export interface HistoryStats {
  /** Actual/edited intervals found. */
  readonly count: number;
  /** Share of them equal to 0 (0 when count = 0). */
  readonly zeroShare: number;
  /** The `percentile` of their wh (0 when count = 0). */
  readonly level: number;
}

let scratch = new Float64Array(4096);

/** Stats over history days d with date − historyDays ≤ d < date. */
export function historyStats(
  history: readonly HistoryDay[],
  date: string,
  historyDays: number,
  percentile: number,
): HistoryStats {
  const from = addLocalDays(date, -historyDays);
  let n = 0;
  let zeros = 0;
  for (const h of history) {
    if (h.date < from || h.date >= date) continue;
    const len = h.wh.length;
    if (scratch.length < n + len) {
      const bigger = new Float64Array(Math.max(scratch.length * 2, n + len));
      bigger.set(scratch.subarray(0, n));
      scratch = bigger;
    }
    for (let i = 0; i < len; i++) {
      const q = h.quality[i];
      if (q !== Q_A && q !== Q_M) continue;
      const v = h.wh[i]!;
      if (v === 0) zeros++;
      scratch[n++] = v;
    }
  }
  if (n === 0) return { count: 0, zeroShare: 0, level: 0 };
  const k = Math.min(n - 1, Math.max(0, Math.ceil(percentile * n) - 1));
  return { count: n, zeroShare: zeros / n, level: quickselect(scratch, n, k) };
}

/** The k-th smallest (0-based) of a[0..n), reordering a (Hoare partition, median-of-three pivot). */
export function quickselect(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
