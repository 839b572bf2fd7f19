/**
 * The VEE data model: one meter-day as typed arrays, one element per slot of the local day (input
 * columns as DuckDB hands them over, output columns as `intervals_validated` stores them), plus the
 * context a meter-day is judged in. Slot i is the interval starting at layout.firstSlotMs + i × 15 min.
 */
import type { Segment } from '@ami/shared/domain';
import {
  Q_X,
  R_MISSING,
  R_NONE,
  M_HEAD_END,
  M_NONE,
  Q_A,
  Q_E,
  Q_M,
  Q_O,
  type DayIssue,
  type DayIssueCode,
} from './codes.ts';
import type { DayLayout } from './day-layout.ts';

/**
 * Boundary DAILY register reads of the local day (Wh, kWh → Wh by kwhToWh): the snapshot at the
 * day's first instant (start) and at the next day's first instant (end); null where absent.
 */
export interface DayRegisters {
  readonly startDeliveredWh: number | null;
  readonly startReceivedWh: number | null;
  readonly endDeliveredWh: number | null;
  readonly endReceivedWh: number | null;
}

/**
 * The winning INTERVAL reads of one meter and local day (already deduplicated by the shared
 * latest-wins rule), as parallel columns of equal length in any order. Subarrays of one large
 * column per day are fine (no copies needed).
 */
export interface MeterDayReads {
  readonly meterId: string;
  /** Local date 'YYYY-MM-DD' in the context's zone. */
  readonly date: string;
  /** interval_start, UTC epoch ms. */
  readonly startMs: Float64Array;
  /** consumptionWh (net = delivered − received). */
  readonly wh: Int32Array;
  readonly deliveredWh: Int32Array;
  readonly receivedWh: Int32Array;
  /** The read's estimated_flag: 1 = the head-end estimated the value (head-end-estimates.ts). */
  readonly estimatedFlag: Uint8Array;
  readonly registers: DayRegisters | null;
}

/** Topology facts VEE needs (from the meter's version active on the day). */
export interface MeterInfo {
  readonly segment: Segment;
  readonly prosumer: boolean;
  readonly feederId: string;
  readonly region: string;
}

/** A meter event relevant to outage fill (only codes in the outage sets matter). */
export interface MeterEvent {
  readonly code: number;
  readonly tsMs: number;
}

export interface OutageCodes {
  readonly outageOpening: ReadonlySet<number>;
  readonly outageClearing: ReadonlySet<number>;
}

/** One earlier validated day of the meter (from `intervals_validated`): final wh and class per slot. */
export interface HistoryDay {
  readonly date: string;
  readonly wh: Int32Array;
  readonly quality: Uint8Array;
}

/** A manual edit from the append-only edit store. */
export interface ManualEdit {
  readonly editId: string;
  readonly meterId: string;
  readonly intervalStartMs: number;
  readonly wh: number;
  readonly who: string;
  /** When the edit was made (UTC ms). */
  readonly atMs: number;
  readonly reason: string;
}

export interface VeeContext {
  readonly timeZone: string;
  /** Build time: reads starting at or after it are FUTURE_TIMESTAMP, slots after it are not estimated. */
  readonly nowMs: number;
  /** null = the meter has no topology version for the day (UNKNOWN_METER, whole day rejected). */
  readonly meter: MeterInfo | null;
  /**
   * The meter's outage-relevant events in time order or not, including the last one before the day
   * (so an outage that began yesterday is still open at midnight).
   */
  readonly events: readonly MeterEvent[];
  readonly outageCodes: OutageCodes;
  /** Earlier validated days of the meter (any order; days outside the look-backs are ignored). */
  readonly history: readonly HistoryDay[];
  /** Local dates treated as weekend days for like-day matching. */
  readonly holidays?: ReadonlySet<string>;
  /** Storm mode (see storm.ts): estimation suspended for this meter's feeder/region. */
  readonly stormSuspended: boolean;
  /** Edits for this meter (others and those outside the day are ignored). */
  readonly edits: readonly ManualEdit[];
}

export interface AppliedEdit {
  readonly slot: number;
  readonly editId: string;
  readonly who: string;
  readonly atMs: number;
  readonly reason: string;
}

export interface SumCheck {
  /** ok / mismatch: compared; incomplete: the day has non-actual slots; no_registers: a register is absent. */
  readonly status: 'ok' | 'mismatch' | 'incomplete' | 'no_registers' | 'disabled';
  readonly deliveredDiffWh: number | null;
  readonly receivedDiffWh: number | null;
}

/** The validated meter-day (output; one row per slot in `intervals_validated`). */
export interface VeeDay {
  readonly meterId: string;
  readonly layout: DayLayout;
  readonly slots: number;
  /** Final energy per slot (Wh); 0 where the class is X. */
  readonly wh: Int32Array;
  /** Quality class code (Q_A … Q_O, see codes.ts). */
  readonly quality: Uint8Array;
  /** Method code (M_NONE … M_EDIT). */
  readonly method: Uint8Array;
  /** Reason code (R_NONE … R_MANUAL_EDIT). */
  readonly reason: Uint8Array;
  /** The read's consumptionWh as received, where hasOriginal[i] = 1 (else null in the view). */
  readonly originalWh: Int32Array;
  readonly hasOriginal: Uint8Array;
  /** delivered/received of the read placed in the slot (0 where none); used by net and stuck rules. */
  readonly deliveredWh: Int32Array;
  readonly receivedWh: Int32Array;
  /** 1 where the read placed in the slot carries estimated_flag (the head-end estimated it). */
  readonly headEndFlag: Uint8Array;
  readonly issues: DayIssue[];
  readonly appliedEdits: AppliedEdit[];
  sumCheck: SumCheck;
}

/** A fresh day: every slot X / NONE / MISSING, no originals. */
export function createVeeDay(meterId: string, layout: DayLayout): VeeDay {
  const n = layout.slots;
  const reason = new Uint8Array(n);
  reason.fill(R_MISSING);
  const quality = new Uint8Array(n);
  quality.fill(Q_X);
  return {
    meterId,
    layout,
    slots: n,
    wh: new Int32Array(n),
    quality,
    method: new Uint8Array(n), // M_NONE = 0
    reason,
    originalWh: new Int32Array(n),
    hasOriginal: new Uint8Array(n),
    deliveredWh: new Int32Array(n),
    receivedWh: new Int32Array(n),
    headEndFlag: new Uint8Array(n),
    issues: [],
    appliedEdits: [],
    sumCheck: { status: 'disabled', deliveredDiffWh: null, receivedDiffWh: null },
  };
}

/** Removes slot i's value (a validation failure): X, value 0, the reason kept; the original stays. */
export function rejectSlot(day: VeeDay, i: number, reason: number): void {
  day.quality[i] = Q_X;
  day.method[i] = M_NONE;
  day.reason[i] = reason;
  day.wh[i] = 0;
}

/** Sets slot i to an actual value (placement of a read that may still fail later rules). */
export function acceptSlot(day: VeeDay, i: number): void {
  day.quality[i] = Q_A;
  day.method[i] = M_NONE;
  day.reason[i] = R_NONE;
  day.wh[i] = day.originalWh[i]!;
}

export function addIssue(day: VeeDay, code: DayIssueCode, detail: string): void {
  day.issues.push({ code, detail });
}

/** A slot holding a value that estimation may lean on (actual or edited; never an estimate). */
export function isAnchor(q: number): boolean {
  return q === Q_A || q === Q_M;
}

/**
 * A slot VEE estimated (class E by an estimation method), which register scaling may still adjust —
 * not a head-end estimate, which keeps its value as received.
 */
export function isVeeEstimate(q: number, method: number): boolean {
  return q === Q_E && method !== M_HEAD_END;
}

export interface QualityCounts {
  readonly actual: number;
  readonly estimated: number;
  readonly edited: number;
  readonly missing: number;
  readonly outage: number;
}

export function qualityCounts(day: VeeDay): QualityCounts {
  let a = 0,
    e = 0,
    m = 0,
    x = 0,
    o = 0;
  const q = day.quality;
  for (let i = 0; i < day.slots; i++) {
    switch (q[i]) {
      case Q_A:
        a++;
        break;
      case Q_E:
        e++;
        break;
      case Q_M:
        m++;
        break;
      case Q_O:
        o++;
        break;
      default:
        x++;
    }
  }
  return { actual: a, estimated: e, edited: m, missing: x, outage: o };
}

/** Sum of the final wh of the day (exact integer). */
export function dayTotalWh(day: VeeDay): number {
  let s = 0;
  for (let i = 0; i < day.slots; i++) s += day.wh[i]!;
  return s;
}
