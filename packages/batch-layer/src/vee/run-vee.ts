/**
 * runVee: one meter's local day through every VEE rule, in the documented order (README.md):
 *  1. placement, alignment and future timestamps (validate-alignment.ts)
 *  2. unknown meter → whole day rejected, stop (validate-known-meter.ts)
 *  3. range, net, spike, stuck-at-zero on the actual slots; failed values become gaps
 *  4. sum check of a complete actual day against the DAILY register deltas (day-level issue)
 *  4b. head-end estimates: flagged reads no rule rejected become class E, method HEAD_END, value
 *      kept (head-end-estimates.ts)
 *  5. manual edits (class M), so estimation leans on them and never overwrites them
 *  6. storm mode: if suspended, gaps stay X (STORM_SUSPENDED) and steps 7–8 are skipped
 *  7. estimation, first method whose preconditions hold: outage fill → linear → like-day → load shape
 *  8. register scaling of the estimates to the register delta (exact integer Wh)
 *  9. gaps left: NOT_YET_DUE (interval not over at `now`) or NO_ESTIMATE
 * Pure: no I/O; the result depends only on the arguments (layouts are memoised per zone+date).
 */
import { INTERVAL_MS } from '@ami/shared/time';
import { M_HEAD_END, Q_X, R_MISSING, R_NO_ESTIMATE, R_NOT_YET_DUE, R_STORM_SUSPENDED } from './codes.ts';
import { dayLayout } from './day-layout.ts';
import { fillOutages } from './estimate-outage.ts';
import { estimateLikeDay } from './estimate-like-day.ts';
import { estimateLinear } from './estimate-linear.ts';
import { estimateLoadShape } from './estimate-load-shape.ts';
import { scaleToRegisters, type ScaleOutcome } from './estimate-register.ts';
import { applyEdits } from './edits.ts';
import { markHeadEndEstimates } from './head-end-estimates.ts';
import { historyStats, type HistoryStats } from './history-stats.ts';
import { addIssue, createVeeDay, type MeterDayReads, type VeeContext, type VeeDay } from './model.ts';
import { outageMask } from './outage.ts';
import type { VeeParams } from './params.ts';
import { registerDeltas } from './registers.ts';
import { placeReads } from './validate-alignment.ts';
import { rejectUnknownMeter } from './validate-known-meter.ts';
import { validateNet } from './validate-net.ts';
import { validateRange } from './validate-range.ts';
import { validateSpikes } from './validate-spike.ts';
import { validateStuckAtZero } from './validate-stuck.ts';
import { sumCheck } from './validate-sum.ts';

/** What happened to the day, rule by rule (for metrics and the rebuild's log). */
export interface VeeStats {
  readonly rejected: {
    readonly misaligned: number;
    readonly future: number;
    readonly range: number;
    readonly net: number;
    readonly spike: number;
    readonly stuckAtZero: number;
  };
  readonly edited: number;
  /** Head-end estimates kept as received (flagged reads no rule rejected and no edit replaced). */
  readonly headEndEstimated: number;
  readonly estimated: {
    readonly outageFill: number;
    readonly linear: number;
    readonly likeDay: number;
    readonly loadShape: number;
  };
  readonly registerScaling: ScaleOutcome | 'disabled' | 'skipped';
  readonly stormSuspended: boolean;
  readonly unknownMeter: boolean;
}

export interface VeeResult {
  readonly day: VeeDay;
  readonly stats: VeeStats;
}

const NO_REJECTS = { misaligned: 0, future: 0, range: 0, net: 0, spike: 0, stuckAtZero: 0 };
const NO_ESTIMATES = { outageFill: 0, linear: 0, likeDay: 0, loadShape: 0 };

export function runVee(reads: MeterDayReads, ctx: VeeContext, params: VeeParams): VeeResult {
  const on = params.enabled;
  const layout = dayLayout(reads.date, ctx.timeZone);
  const day = createVeeDay(reads.meterId, layout);
  const placed = placeReads(day, reads, {
    nowMs: ctx.nowMs,
    checkAlignment: on.alignment,
    checkFuture: on.future,
  });
  if (rejectUnknownMeter(day, ctx.meter)) {
    return {
      day,
      stats: {
        rejected: { ...NO_REJECTS, misaligned: placed.misaligned, future: placed.future },
        edited: 0,
        headEndEstimated: 0,
        estimated: NO_ESTIMATES,
        registerScaling: 'skipped',
        stormSuspended: false,
        unknownMeter: true,
      },
    };
  }
  const meter = ctx.meter!;
  const mask = outageMask(layout, ctx.events, ctx.outageCodes);
  let memo: HistoryStats | undefined;
  const stats = (): HistoryStats =>
    (memo ??= historyStats(ctx.history, layout.date, params.historyDays, params.spikePercentile));

  const range = on.range ? validateRange(day, meter, params) : 0;
  const net = on.net ? validateNet(day, params.netToleranceWh) : 0;
  const spike = on.spike ? validateSpikes(day, stats, params) : 0;
  const stuckAtZero = on.stuck_at_zero ? validateStuckAtZero(day, mask, stats, params) : 0;

  const deltas = registerDeltas(reads.registers);
  if (deltas.status === 'decreased') addIssue(day, 'REGISTER_DECREASED', deltas.detail);
  if (on.sum_check) day.sumCheck = sumCheck(day, deltas, params);

  const flagged = markHeadEndEstimates(day);
  const edited = applyEdits(day, ctx.edits);
  const headEndEstimated = flagged === 0 ? 0 : countHeadEndEstimates(day);

  // Slots [0, due) have ended at `now`; later ones are never estimated.
  const due = Math.max(0, Math.min(layout.slots, Math.floor((ctx.nowMs - layout.firstSlotMs) / INTERVAL_MS)));
  const stormSuspended = on.storm && ctx.stormSuspended;
  let outageFill = 0,
    linear = 0,
    likeDay = 0,
    loadShape = 0;
  let registerScaling: VeeStats['registerScaling'] = 'skipped';
  if (stormSuspended) {
    addIssue(day, 'STORM_SUSPENDED', 'estimation suspended for the meter’s feeder/region (storm mode)');
  } else {
    if (on.outage_fill) outageFill = fillOutages(day, mask, due);
    if (on.linear) linear = estimateLinear(day, params.linearMaxGap, due);
    if (on.like_day) likeDay = estimateLikeDay(day, ctx.history, ctx.holidays, params, due);
    if (on.load_shape) {
      loadShape = estimateLoadShape(day, meter, ctx.history, deltas, ctx.holidays, params, due).filled;
    }
    registerScaling = on.register_scaling ? scaleToRegisters(day, deltas, meter.prosumer) : 'disabled';
  }
  const { quality, reason } = day;
  const gapReason = stormSuspended ? R_STORM_SUSPENDED : R_NO_ESTIMATE;
  for (let i = 0; i < layout.slots; i++) {
    if (quality[i] === Q_X && reason[i] === R_MISSING) reason[i] = i < due ? gapReason : R_NOT_YET_DUE;
  }
  return {
    day,
    stats: {
      rejected: { misaligned: placed.misaligned, future: placed.future, range, net, spike, stuckAtZero },
      edited,
      headEndEstimated,
      estimated: { outageFill, linear, likeDay, loadShape },
      registerScaling,
      stormSuspended,
      unknownMeter: false,
    },
  };
}

function countHeadEndEstimates(day: VeeDay): number {
  let n = 0;
  for (let i = 0; i < day.slots; i++) if (day.method[i] === M_HEAD_END) n++;
  return n;
}
