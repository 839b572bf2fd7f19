/**
 * VEE over a whole local day (pure: typed arrays in, typed arrays out). For every meter of the day it
 * runs `runVee` and keeps
 *  - the **exceptions**: slots whose validated value is not simply "actual = the read as received"
 *    (estimated by VEE or by the head-end, edited, missing, outage, rejected). Everything else is an
 *    actual the views take straight from the deduplicated reads in DuckDB, so only the exceptions
 *    travel back from JS;
 *  - the **meter-day figures** of `meter_daily`: total, counts per quality class, TOU buckets
 *    (shared touBucketOf), the largest interval, the register sum check.
 *
 * History (earlier validated days) is needed only by a few meters (spike and stuck-at-zero
 * candidates, long gaps). Pass 1 gives every meter a history that throws when touched
 * (`DEMAND_HISTORY`); the meters that touched it are returned and rerun by the caller with their
 * real history (pass 2). runVee stays pure and the rebuild loads history for those meters only.
 */
import type { TouCalendar, Tariff } from '@ami/shared/domain';
import { touBucketOf } from '@ami/shared/domain';
import { INTERVAL_MS } from '@ami/shared/time';
import { M_NONE, Q_A, Q_E, Q_M, Q_O, Q_X, R_NONE } from '../vee/codes.ts';
import { dayLayout, type DayLayout } from '../vee/day-layout.ts';
import type {
  DayRegisters,
  HistoryDay,
  ManualEdit,
  MeterEvent,
  MeterInfo,
  OutageCodes,
} from '../vee/model.ts';
import type { VeeParams } from '../vee/params.ts';
import { runVee, type VeeResult, type VeeStats } from '../vee/run-vee.ts';
import { isStormSuspended, type StormDecision } from '../vee/storm.ts';
import type { IntervalColumns } from './day-columns.ts';

/** One meter of the day: topology attribution (null fields for an unknown meter). */
export interface DayMeter {
  readonly meterId: string;
  readonly servicePointId: string;
  readonly customerId: string;
  readonly transformerId: string;
  readonly feederId: string;
  readonly substationId: string | null;
  readonly region: string | null;
  readonly segment: MeterInfo['segment'] | null;
  readonly tariff: Tariff | null;
  readonly prosumer: boolean;
  /** In the topology on this day. */
  readonly known: boolean;
}

export interface DayVeeInput {
  readonly date: string;
  readonly timeZone: string;
  readonly nowMs: number;
  readonly meters: readonly DayMeter[];
  readonly reads: IntervalColumns;
  readonly registers: ReadonlyMap<number, DayRegisters>;
  readonly events: ReadonlyMap<string, readonly MeterEvent[]>;
  readonly edits: ReadonlyMap<string, readonly ManualEdit[]>;
  readonly outageCodes: OutageCodes;
  readonly storm: StormDecision;
  readonly holidays?: ReadonlySet<string>;
  readonly touCalendar: TouCalendar;
  readonly params: VeeParams;
}

const SUM_CHECK = ['ok', 'mismatch', 'incomplete', 'no_registers', 'disabled'] as const;
export type SumCheckStatus = (typeof SUM_CHECK)[number];

/** Growable columns of the exception rows. */
export class ExceptionRows {
  length = 0;
  m = new Int32Array(1024);
  slot = new Int16Array(1024);
  wh = new Int32Array(1024);
  quality = new Uint8Array(1024);
  method = new Uint8Array(1024);
  reason = new Uint8Array(1024);
  originalWh = new Int32Array(1024);
  hasOriginal = new Uint8Array(1024);
  readonly editIds: (string | null)[] = [];

  push(
    m: number,
    slot: number,
    wh: number,
    q: number,
    method: number,
    reason: number,
    orig: number | null,
    editId: string | null,
  ): void {
    if (this.length === this.m.length) this.grow();
    const i = this.length++;
    this.m[i] = m;
    this.slot[i] = slot;
    this.wh[i] = wh;
    this.quality[i] = q;
    this.method[i] = method;
    this.reason[i] = reason;
    this.originalWh[i] = orig ?? 0;
    this.hasOriginal[i] = orig === null ? 0 : 1;
    this.editIds.push(editId);
  }

  private grow(): void {
    const cap = this.m.length * 2;
    const g = <T extends Int32Array | Int16Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as { new (n: number): T })(cap);
      b.set(a);
      return b;
    };
    this.m = g(this.m);
    this.slot = g(this.slot);
    this.wh = g(this.wh);
    this.quality = g(this.quality);
    this.method = g(this.method);
    this.reason = g(this.reason);
    this.originalWh = g(this.originalWh);
    this.hasOriginal = g(this.hasOriginal);
  }
}

/** meter_daily figures per meter ordinal (filled for the meters processed). */
export class MeterDayFigures {
  readonly wh: Float64Array;
  readonly slots: Int32Array;
  readonly counts: Int32Array; // 5 per meter: A E M X O
  readonly tou: Float64Array; // 3 per meter: peak, off_peak, flat
  readonly maxWh: Float64Array;
  readonly maxStartMs: Float64Array; // NaN = no interval with a value
  readonly sumCheck: Uint8Array;
  readonly done: Uint8Array;

  constructor(readonly meters: number) {
    this.wh = new Float64Array(meters);
    this.slots = new Int32Array(meters);
    this.counts = new Int32Array(meters * 5);
    this.tou = new Float64Array(meters * 3);
    this.maxWh = new Float64Array(meters);
    this.maxStartMs = new Float64Array(meters).fill(NaN);
    this.sumCheck = new Uint8Array(meters);
    this.done = new Uint8Array(meters);
  }

  sumCheckOf(m: number): SumCheckStatus {
    return SUM_CHECK[this.sumCheck[m]!]!;
  }
}

export class HistoryDemanded extends Error {
  constructor() {
    super('history demanded');
  }
}

/** A history that throws on any use: pass 1 finds the meters that need their history. */
export const DEMAND_HISTORY: readonly HistoryDay[] = new Proxy([] as HistoryDay[], {
  get() {
    throw new HistoryDemanded();
  },
});

export interface DayVeeTotals {
  meters: number;
  rejected: number;
  /** Class E and O slots (VEE estimates, outage fills and head-end estimates). */
  estimated: number;
  /** Of `estimated`: head-end estimates kept as received (method HEAD_END). */
  headEndEstimated: number;
  edited: number;
}

const TOU_INDEX = { peak: 0, off_peak: 1, flat: 2 } as const;

/** Bucket index per slot of the day for a TOU tariff (flat tariffs are always bucket 2). */
export function touSlotBuckets(layout: DayLayout, calendar: TouCalendar): Uint8Array {
  const out = new Uint8Array(layout.slots);
  for (let i = 0; i < layout.slots; i++)
    out[i] = TOU_INDEX[touBucketOf(layout.firstSlotMs + i * INTERVAL_MS, 'tou', calendar, layout.timeZone)];
  return out;
}

/** Index of the first read of each meter ordinal in the (m-ordered) columns, length meters + 1. */
export function meterOffsets(reads: IntervalColumns, meters: number): Int32Array {
  const off = new Int32Array(meters + 1);
  for (let i = 0; i < reads.length; i++) off[reads.m[i]! + 1]!++;
  for (let k = 0; k < meters; k++) off[k + 1]! += off[k]!;
  return off;
}

/** Where runDayVee appends its results (stats: runVee's stats per meter, when given). */
export interface DayVeeOutput {
  exceptions: ExceptionRows;
  figures: MeterDayFigures;
  totals: DayVeeTotals;
  stats?: VeeStats[];
}

/**
 * Runs VEE for the meter ordinals `which` (with `history(m)` as their history, or DEMAND_HISTORY) and
 * appends their results. Returns the ordinals that demanded history (not appended).
 */
export function runDayVee(
  input: DayVeeInput,
  which: Iterable<number>,
  history: (m: number) => readonly HistoryDay[],
  offsets: Int32Array,
  out: DayVeeOutput,
): number[] {
  const layout = dayLayout(input.date, input.timeZone);
  const touBuckets = touSlotBuckets(layout, input.touCalendar);
  const demanded: number[] = [];
  for (const m of which) {
    const result = runMeterVee(input, m, offsets, history);
    if (result === null) demanded.push(m);
    else recordMeterDay(out, m, input.meters[m]!, result, layout, touBuckets);
  }
  return demanded;
}

/** runVee for meter ordinal `m` on its slice of the day's columns; null when it demanded its history. */
function runMeterVee(
  input: DayVeeInput,
  m: number,
  offsets: Int32Array,
  history: (m: number) => readonly HistoryDay[],
): VeeResult | null {
  const meter = input.meters[m]!;
  const from = offsets[m]!;
  const to = offsets[m + 1]!;
  const { reads } = input;
  const info: MeterInfo | null =
    meter.known && meter.segment !== null && meter.region !== null
      ? { segment: meter.segment, prosumer: meter.prosumer, feederId: meter.feederId, region: meter.region }
      : null;
  try {
    return runVee(
      {
        meterId: meter.meterId,
        date: input.date,
        startMs: reads.startMs.subarray(from, to),
        wh: reads.wh.subarray(from, to),
        deliveredWh: reads.deliveredWh.subarray(from, to),
        receivedWh: reads.receivedWh.subarray(from, to),
        estimatedFlag: reads.estimatedFlag.subarray(from, to),
        registers: input.registers.get(m) ?? null,
      },
      {
        timeZone: input.timeZone,
        nowMs: input.nowMs,
        meter: info,
        events: input.events.get(meter.meterId) ?? [],
        outageCodes: input.outageCodes,
        history: history(m),
        holidays: input.holidays,
        stormSuspended: info !== null && isStormSuspended(input.storm, info),
        edits: input.edits.get(meter.meterId) ?? [],
      },
      input.params,
    );
  } catch (err) {
    if (err instanceof HistoryDemanded) return null;
    throw err;
  }
}

/** Appends meter `m`'s exception rows, fills its meter_daily figures and adds it to the totals. */
function recordMeterDay(
  out: DayVeeOutput,
  m: number,
  meter: DayMeter,
  result: VeeResult,
  layout: DayLayout,
  touBuckets: Uint8Array,
): void {
  const { day } = result;
  const editOf = new Map<number, string>();
  for (const e of day.appliedEdits) editOf.set(e.slot, e.editId);
  const f = out.figures;
  let total = 0;
  let maxWh = -Infinity;
  let maxAt = NaN;
  const bucketBase = m * 3;
  const flat = meter.tariff !== 'tou';
  for (let i = 0; i < day.slots; i++) {
    const q = day.quality[i]!;
    const wh = day.wh[i]!;
    const orig = day.hasOriginal[i] === 1 ? day.originalWh[i]! : null;
    if (!(q === Q_A && day.method[i] === M_NONE && day.reason[i] === R_NONE && orig === wh)) {
      out.exceptions.push(m, i, wh, q, day.method[i]!, day.reason[i]!, orig, editOf.get(i) ?? null);
    }
    f.counts[m * 5 + q]!++;
    total += wh;
    if (q !== Q_X) {
      f.tou[bucketBase + (flat ? 2 : touBuckets[i]!)]! += wh;
      if (wh > maxWh) {
        maxWh = wh;
        maxAt = layout.firstSlotMs + i * INTERVAL_MS;
      }
    }
  }
  f.wh[m] = total;
  f.slots[m] = day.slots;
  f.maxWh[m] = Number.isFinite(maxWh) ? maxWh : 0;
  f.maxStartMs[m] = maxAt;
  f.sumCheck[m] = SUM_CHECK.indexOf(day.sumCheck.status);
  f.done[m] = 1;
  const c = out.totals;
  c.meters++;
  c.estimated += f.counts[m * 5 + Q_E]! + f.counts[m * 5 + Q_O]!;
  c.edited += f.counts[m * 5 + Q_M]!;
  c.headEndEstimated += result.stats.headEndEstimated;
  const r = result.stats.rejected;
  c.rejected += r.misaligned + r.future + r.range + r.net + r.spike + r.stuckAtZero;
  out.stats?.push(result.stats);
}
