/**
 * VEE sum check: on a day whose every slot holds an actual read, Σ delivered and Σ received of the
 * intervals must equal the DAILY register deltas within max(toleranceWh, share × |delta|); a
 * mismatch is a day-level SUM_CHECK_MISMATCH issue (no single interval can be blamed, so values are
 * kept). Days with gaps are settled by register scaling instead (estimate-register.ts).
 */
import { Q_A } from './codes.ts';
import { addIssue, type SumCheck, type VeeDay } from './model.ts';
import type { RegisterDeltas } from './registers.ts';

export interface SumParams {
  readonly sumToleranceWh: number;
  readonly sumToleranceShare: number;
}

export function sumCheck(day: VeeDay, deltas: RegisterDeltas, p: SumParams): SumCheck {
  if (deltas.status !== 'ok') return { status: 'no_registers', deliveredDiffWh: null, receivedDiffWh: null };
  let del = 0;
  let rec = 0;
  for (let i = 0; i < day.slots; i++) {
    if (day.quality[i] !== Q_A) return { status: 'incomplete', deliveredDiffWh: null, receivedDiffWh: null };
    del += day.deliveredWh[i]!;
    rec += day.receivedWh[i]!;
  }
  const dd = del - deltas.deliveredWh;
  const dr = rec - deltas.receivedWh;
  const tolD = Math.max(p.sumToleranceWh, p.sumToleranceShare * deltas.deliveredWh);
  const tolR = Math.max(p.sumToleranceWh, p.sumToleranceShare * deltas.receivedWh);
  const ok = Math.abs(dd) <= tolD && Math.abs(dr) <= tolR;
  if (!ok) {
    addIssue(
      day,
      'SUM_CHECK_MISMATCH',
      `intervals − register delta: delivered ${dd} Wh, received ${dr} Wh (tolerance ${Math.floor(tolD)} / ${Math.floor(tolR)} Wh)`,
    );
  }
  return { status: ok ? 'ok' : 'mismatch', deliveredDiffWh: dd, receivedDiffWh: dr };
}
