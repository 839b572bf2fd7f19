/**
 * VEE head-end estimates: a read the head-end flagged as estimated (`estimated_flag: true`) is an
 * estimate, labelled as one exactly like a VEE estimate — class E — with its own method HEAD_END and
 * reason HEAD_END_ESTIMATE, so the two stay distinguishable. It runs after the validation rules and
 * the sum check (step 4b of run-vee.ts):
 *  - a flagged read that a rule rejected is a gap like any rejected read (its value kept as the
 *    original) and is estimated by VEE's methods like any gap;
 *  - a flagged read no rule rejected keeps its value as received: VEE does not re-estimate it, register
 *    scaling does not rescale it (isVeeEstimate), estimation does not lean on it (isAnchor);
 *  - a manual edit still wins over it (edits come next and set class M).
 */
import { M_HEAD_END, Q_A, Q_E, R_HEAD_END_ESTIMATE } from './codes.ts';
import type { VeeDay } from './model.ts';

/** Labels the flagged actual slots as head-end estimates; returns how many. */
export function markHeadEndEstimates(day: VeeDay): number {
  const { quality, headEndFlag } = day;
  let marked = 0;
  for (let i = 0; i < day.slots; i++) {
    if (headEndFlag[i] !== 1 || quality[i] !== Q_A) continue;
    quality[i] = Q_E;
    day.method[i] = M_HEAD_END;
    day.reason[i] = R_HEAD_END_ESTIMATE;
    marked++;
  }
  return marked;
}
