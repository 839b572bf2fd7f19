/**
 * Estimation step 5, register scaling: where both boundary register reads exist and every slot of
 * the day has a value (A/E/M/O), the day's VEE-estimated (E) slots are scaled so that the day total
 * equals the register net delta EXACTLY, in integer Wh: each estimate becomes
 * wh × needed / Σestimates, floored, and the remaining Wh go one each to the slots with the largest
 * fractional parts (ties: earlier slot first). needed = net delta − Σ(A, M, O slots and head-end
 * estimates, which keep their value as received: only VEE's own estimates are scaled). If the
 * estimates sum to 0 the needed energy is spread evenly (remainder to the earliest slots).
 * Scaled slots get method REGISTER_SCALED. When actuals alone exceed the delta of a non-prosumer
 * (needed < 0), nothing is scaled and the day gets REGISTER_BELOW_ACTUALS; when needed and the
 * estimates have opposite signs (prosumers), REGISTER_SIGN_CONFLICT. No negative estimate is ever
 * produced for a non-prosumer.
 */
import { M_REGISTER_SCALED, Q_X } from './codes.ts';
import { addIssue, isVeeEstimate, type VeeDay } from './model.ts';
import type { RegisterDeltas } from './registers.ts';

export type ScaleOutcome =
  'no_registers' | 'incomplete' | 'no_estimates' | 'exact' | 'scaled' | 'below_actuals' | 'sign_conflict';

let fracScratch = new Float64Array(128);
let orderScratch = new Int32Array(128);

export function scaleToRegisters(day: VeeDay, deltas: RegisterDeltas, prosumer: boolean): ScaleOutcome {
  if (deltas.status !== 'ok') return 'no_registers';
  const { quality, method, wh } = day;
  const n = day.slots;
  let fixed = 0;
  let sumEst = 0;
  let nEst = 0;
  for (let i = 0; i < n; i++) {
    const q = quality[i]!;
    if (q === Q_X) return 'incomplete';
    if (isVeeEstimate(q, method[i]!)) {
      sumEst += wh[i]!;
      nEst++;
    } else fixed += wh[i]!;
  }
  if (nEst === 0) return 'no_estimates';
  const needed = deltas.netWh - fixed;
  if (needed === sumEst) return 'exact';
  if (needed < 0 && !prosumer) {
    addIssue(
      day,
      'REGISTER_BELOW_ACTUALS',
      `register net delta ${deltas.netWh} Wh is ${-needed} Wh below the day's actual/edited/outage slots; estimates not scaled`,
    );
    return 'below_actuals';
  }
  if (sumEst === 0) {
    spreadEvenly(day, needed, nEst);
    return 'scaled';
  }
  if ((sumEst > 0 && needed < 0) || (sumEst < 0 && needed > 0)) {
    addIssue(
      day,
      'REGISTER_SIGN_CONFLICT',
      `register leaves ${needed} Wh for estimates that sum to ${sumEst} Wh; estimates not scaled`,
    );
    return 'sign_conflict';
  }
  if (fracScratch.length < n) {
    fracScratch = new Float64Array(n);
    orderScratch = new Int32Array(n);
  }
  const factor = needed / sumEst; // ≥ 0
  let assigned = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!isVeeEstimate(quality[i]!, method[i]!)) continue;
    const x = wh[i]! * factor;
    const base = Math.floor(x);
    wh[i] = base;
    assigned += base;
    fracScratch[i] = x - base;
    orderScratch[m++] = i;
    day.method[i] = M_REGISTER_SCALED;
  }
  // Largest fractional part first, then earlier slot; the order is a permutation of the E slots.
  const order = Array.from(orderScratch.subarray(0, m));
  order.sort((a, b) => fracScratch[b]! - fracScratch[a]! || a - b);
  let rest = needed - assigned;
  // |rest| < m unless floating-point error crept in; cycling keeps the sum exact regardless.
  for (let k = 0; rest > 0; k = (k + 1) % m, rest--) {
    const j = order[k]!;
    wh[j] = wh[j]! + 1;
  }
  for (let k = m - 1; rest < 0; k = (k - 1 + m) % m, rest++) {
    const j = order[k]!;
    wh[j] = wh[j]! - 1;
  }
  return 'scaled';
}

function spreadEvenly(day: VeeDay, needed: number, nEst: number): void {
  const base = Math.floor(needed / nEst);
  let rest = needed - base * nEst;
  for (let i = 0; i < day.slots; i++) {
    if (!isVeeEstimate(day.quality[i]!, day.method[i]!)) continue;
    day.wh[i] = base + (rest > 0 ? 1 : 0);
    if (rest > 0) rest--;
    day.method[i] = M_REGISTER_SCALED;
  }
}
