/**
 * Pure alert rule evaluators (SPEC 4): what one closed transformer window, one burst of last gasps,
 * a set of restores or a run of missed intervals means for the alerts. No I/O: the engine gathers
 * the facts from Redis and the realtime view and applies the decisions through the AlertStore.
 * The threshold predicates themselves are the shared ones (@ami/shared/domain alert-rules.ts).
 */
import {
  isCommLoss,
  isHighVoltage,
  isLowReceiptRate,
  isLowVoltage,
  isTransformerOutage,
  type AlertRuleParams,
} from '@ami/shared/domain';
import type { EventCodeDef } from '@ami/shared/domain';

/** Length of an evaluated window (the realtime view's 15-minute windows). */
export const WINDOW_MS = 900_000;

/** What a rule says about an alert: raise it, clear it, or leave it as it is. */
export type Decision = 'open' | 'clear' | 'keep';

export type WindowAlertType = 'LOW_RECEIPT_RATE' | 'LOW_VOLTAGE' | 'HIGH_VOLTAGE';

/** What the realtime view knows about one transformer window (summed over partitions). */
export interface WindowObservation {
  readonly metersReported: number;
  /** Minimum / maximum interval voltage of the window in centivolts, null when nothing reported. */
  readonly voltageMinCv: number | null;
  readonly voltageMaxCv: number | null;
}

export interface WindowFacts {
  /** Meters of the transformer active (topology) at the window start. */
  readonly activeMeters: number;
  /** Of those, meters known to be without power during the window (last gasp, no restore yet). */
  readonly metersOut: number;
  readonly window: WindowObservation;
}

export interface WindowFinding {
  readonly type: WindowAlertType;
  readonly decision: Decision;
  /** Receipt rate % or voltage V; null when the rule could not be evaluated. */
  readonly value: number | null;
  readonly detail: string;
}

/** Reported meters as a % of the expected ones (capped at 100). */
export function receiptRatePct(reported: number, expected: number): number {
  if (expected <= 0) return 100;
  return Math.min(100, (reported * 100) / expected);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The three window rules of one transformer window:
 *  - LOW_RECEIPT_RATE: expected = active meters − meters without power (an outage is reported by
 *    TRANSFORMER_OUTAGE, not as missing reads); not evaluated when nothing is expected. Opens when
 *    the rate is below the threshold, clears when a later window is at or above it.
 *  - LOW_VOLTAGE / HIGH_VOLTAGE: the window's min / max voltage; not evaluated (keep) when no meter
 *    reported. Clear when a later window with readings is back inside the limits.
 */
export function evaluateTransformerWindow(facts: WindowFacts, rules: AlertRuleParams): WindowFinding[] {
  const out: WindowFinding[] = [];
  const expected = facts.activeMeters - facts.metersOut;
  const reported = facts.window.metersReported;
  if (expected <= 0) {
    out.push({ type: 'LOW_RECEIPT_RATE', decision: 'keep', value: null, detail: 'no meter expected' });
  } else {
    const rate = receiptRatePct(reported, expected);
    out.push({
      type: 'LOW_RECEIPT_RATE',
      decision: isLowReceiptRate(rate, rules) ? 'open' : 'clear',
      value: round3(rate),
      detail: `${reported} of ${expected} expected meters reported (${round3(rate)} %, threshold ${rules.lowReceiptRatePct} %)`,
    });
  }
  const { voltageMinCv: minCv, voltageMaxCv: maxCv } = facts.window;
  if (minCv === null) {
    out.push({ type: 'LOW_VOLTAGE', decision: 'keep', value: null, detail: 'no voltage reported' });
  } else {
    const v = minCv / 100;
    out.push({
      type: 'LOW_VOLTAGE',
      decision: isLowVoltage(v, rules) ? 'open' : 'clear',
      value: v,
      detail: `minimum interval voltage ${v} V (limit ${rules.lowVoltageV} V)`,
    });
  }
  if (maxCv === null) {
    out.push({ type: 'HIGH_VOLTAGE', decision: 'keep', value: null, detail: 'no voltage reported' });
  } else {
    const v = maxCv / 100;
    out.push({
      type: 'HIGH_VOLTAGE',
      decision: isHighVoltage(v, rules) ? 'open' : 'clear',
      value: v,
      detail: `maximum interval voltage ${v} V (limit ${rules.highVoltageV} V)`,
    });
  }
  return out;
}

/** A meter's last gasp or restore (event time). */
export interface MeterEventTime {
  readonly meterId: string;
  readonly tsMs: number;
}

/**
 * Every last gasp (or restore) of a transformer's meters still in the outage state: meter → its
 * event times, ascending. All of them, not only the latest: a consumer may process one partition's
 * events hours or days ahead of another's (a backlog, a replay), and the rules below must decide the
 * same whatever order the meters' partitions arrive in.
 */
export type MeterEventHistory = ReadonlyMap<string, readonly number[]>;

export interface GaspBurst {
  /** Distinct meters whose last gasps lie within one span of the outage window. */
  readonly count: number;
  /** Earliest gasp of that span (the outage's opened_at); NaN when count is 0. */
  readonly startMs: number;
}

/**
 * The largest set of distinct meters whose last gasps fit in a span of `windowMs` (both ends
 * inclusive: gasps exactly `windowMs` apart count together; a meter that gasped twice in the span
 * counts once). With `mustIncludeMs`, only spans that contain that instant count (the gasp just
 * received).
 */
export function largestGaspBurst(
  gasps: readonly MeterEventTime[],
  windowMs: number,
  mustIncludeMs?: number,
): GaspBurst {
  const sorted = [...gasps].sort((a, b) => a.tsMs - b.tsMs);
  const inSpan = new Map<string, number>();
  let best: GaspBurst = { count: 0, startMs: NaN };
  let j = 0; // next gasp to take into the span
  for (let i = 0; i < sorted.length; i++) {
    const start = (sorted[i] as MeterEventTime).tsMs;
    while (j < sorted.length && (sorted[j] as MeterEventTime).tsMs - start <= windowMs) {
      const m = (sorted[j] as MeterEventTime).meterId;
      inSpan.set(m, (inSpan.get(m) ?? 0) + 1);
      j++;
    }
    const included =
      mustIncludeMs === undefined || (start <= mustIncludeMs && mustIncludeMs <= start + windowMs);
    if (included && inSpan.size > best.count) best = { count: inSpan.size, startMs: start };
    const m = (sorted[i] as MeterEventTime).meterId;
    const left = (inSpan.get(m) ?? 1) - 1;
    if (left === 0) inSpan.delete(m);
    else inSpan.set(m, left);
  }
  return best;
}

/** Whether a burst of last gasps on a transformer with `activeMeters` meters is an outage. */
export function isOutageBurst(burst: GaspBurst, activeMeters: number, rules: AlertRuleParams): boolean {
  return isTransformerOutage(burst.count, activeMeters, rules);
}

export interface RestoreStatus {
  /** Meters with a last gasp in the outage's burst span [opened_at, opened_at + window]. */
  readonly gasped: number;
  /** Of those, meters with a restore at or after that gasp. */
  readonly restored: number;
  /** Latest of those meters' first restores after their gasp (NaN when none). */
  readonly lastRestoreMs: number;
}

/** First time in ascending `times` at or after `fromMs` (undefined when none). */
function firstAtOrAfter(times: readonly number[] | undefined, fromMs: number): number | undefined {
  if (times === undefined) return undefined;
  for (const t of times) if (t >= fromMs) return t;
  return undefined;
}

/**
 * Which of the outage's meters — those that sent a last gasp within `windowMs` of its start — have
 * been restored since that gasp. A later outage's gasps and restores do not count towards it.
 */
export function outageRestoreStatus(
  gasps: MeterEventHistory,
  restores: MeterEventHistory,
  startMs: number,
  windowMs: number,
): RestoreStatus {
  let gasped = 0;
  let restored = 0;
  let lastRestoreMs = NaN;
  for (const [meterId, times] of gasps) {
    const g = firstAtOrAfter(times, startMs);
    if (g === undefined || g > startMs + windowMs) continue;
    gasped++;
    const r = firstAtOrAfter(restores.get(meterId), g);
    if (r !== undefined) {
      restored++;
      if (!(r <= lastRestoreMs)) lastRestoreMs = r;
    }
  }
  return { gasped, restored, lastRestoreMs };
}

/** TRANSFORMER_OUTAGE clears when at least `clearPct` % of its gasped meters have restored. */
export function isOutageCleared(status: RestoreStatus, clearPct: number): boolean {
  return status.gasped > 0 && status.restored * 100 >= clearPct * status.gasped;
}

/**
 * Meters without power at some moment of [startMs, endMs): their last gasp before the window end
 * was not followed by a restore at or before the window start.
 */
export function metersOutDuring(
  gasps: MeterEventHistory,
  restores: MeterEventHistory,
  startMs: number,
  endMs: number,
): Set<string> {
  const out = new Set<string>();
  for (const [meterId, times] of gasps) {
    let g: number | undefined;
    for (const t of times) if (t < endMs) g = t;
    if (g === undefined) continue;
    const r = firstAtOrAfter(restores.get(meterId), g);
    if (r !== undefined && r <= startMs) continue;
    out.add(meterId);
  }
  return out;
}

/** One of the windows a comm-loss check looks back over, as the transformer saw it. */
export interface TransformerWindowCount {
  readonly reported: number;
  /** Active meters not known to be without power. */
  readonly expected: number;
}

/**
 * Cheap pre-check on the transformer's windows: some meter can have missed every one of them while
 * the transformer reported only when each window has 1 ≤ reported < expected.
 */
export function commLossPossible(
  windows: readonly TransformerWindowCount[],
  rules: AlertRuleParams,
): boolean {
  if (windows.length < rules.commLossIntervals) return false;
  return windows.every((w) => w.reported >= 1 && w.reported < w.expected);
}

/**
 * Length of the meter's trailing run of windows it missed while other meters of its transformer
 * reported (oldest first in both arrays). `covered[i]` = the meter has a read in window i, or was
 * without power then (an outage is not a comm loss); `othersReported[i]` = meters of the
 * transformer other than this one that reported in window i.
 */
export function missedRun(covered: readonly boolean[], othersReported: readonly number[]): number {
  let run = 0;
  for (let i = covered.length - 1; i >= 0; i--) {
    if (covered[i] === true || (othersReported[i] ?? 0) < 1) break;
    run++;
  }
  return run;
}

/** Whether the meter's trailing missed run breaks the METER_COMM_LOSS rule. */
export function isMeterCommLoss(
  covered: readonly boolean[],
  othersReported: readonly number[],
  rules: AlertRuleParams,
): boolean {
  return isCommLoss(missedRun(covered, othersReported), rules);
}

/** What the engine does with one valid event, from its code table entry. */
export interface EventActions {
  /** Raise an EVENT alert of this type (the code's name) with the code's severity. */
  readonly alert: boolean;
  /** A last gasp: counts towards TRANSFORMER_OUTAGE. */
  readonly lastGasp: boolean;
  /** A restore: clears the meter's last-gasp EVENT alerts and may clear TRANSFORMER_OUTAGE. */
  readonly restore: boolean;
}

export function eventActions(def: EventCodeDef): EventActions {
  return { alert: def.alert, lastGasp: def.outage === 'opens', restore: def.outage === 'clears' };
}
