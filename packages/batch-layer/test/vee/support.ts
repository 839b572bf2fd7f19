/** Builders of crafted meter-days for the VEE unit tests (Europe/Stockholm). */
import { defaultEventCodeTable } from '@ami/shared/domain';
import { INTERVAL_MS } from '@ami/shared/time';
import { Q_A } from '../../src/vee/codes.ts';
import { dayLayout, type DayLayout } from '../../src/vee/day-layout.ts';
import {
  createVeeDay,
  type DayRegisters,
  type HistoryDay,
  type MeterDayReads,
  type MeterInfo,
  type VeeContext,
  type VeeDay,
} from '../../src/vee/model.ts';
import { placeReads } from '../../src/vee/validate-alignment.ts';

export const TZ = 'Europe/Stockholm';
/** A Wednesday with 96 slots. */
export const WEDNESDAY = '2025-03-12';
/** Spring forward (Sunday, 92 slots). */
export const SPRING = '2025-03-30';
/** Fall back (Sunday, 100 slots). */
export const FALL = '2025-10-26';
export const FAR_FUTURE = Date.UTC(2030, 0, 1);

export const RESIDENTIAL: MeterInfo = {
  segment: 'residential',
  prosumer: false,
  feederId: 'F1',
  region: 'R1',
};
export const PROSUMER: MeterInfo = { ...RESIDENTIAL, prosumer: true };

export const layoutOf = (date: string): DayLayout => dayLayout(date, TZ);
export const slotStart = (date: string, i: number): number => layoutOf(date).firstSlotMs + i * INTERVAL_MS;

/**
 * Reads for the given slot values (null = no read); delivered/received follow the sign. Slots in
 * `headEnd` carry estimated_flag (the head-end estimated them).
 */
export function readsOf(
  date: string,
  values: readonly (number | null)[],
  registers: DayRegisters | null = null,
  meterId = 'M1',
  headEnd: readonly number[] = [],
): MeterDayReads {
  const idx: number[] = [];
  values.forEach((v, i) => {
    if (v !== null) idx.push(i);
  });
  const startMs = new Float64Array(idx.length);
  const wh = new Int32Array(idx.length);
  const del = new Int32Array(idx.length);
  const rec = new Int32Array(idx.length);
  const est = new Uint8Array(idx.length);
  idx.forEach((slot, k) => {
    const v = values[slot]!;
    startMs[k] = slotStart(date, slot);
    wh[k] = v;
    del[k] = Math.max(v, 0);
    rec[k] = Math.max(-v, 0);
    est[k] = headEnd.includes(slot) ? 1 : 0;
  });
  return { meterId, date, startMs, wh, deliveredWh: del, receivedWh: rec, estimatedFlag: est, registers };
}

/** A day after placement (validation rules can then be applied). */
export function placedDay(date: string, values: readonly (number | null)[], nowMs = FAR_FUTURE): VeeDay {
  const day = createVeeDay('M1', layoutOf(date));
  placeReads(day, readsOf(date, values), { nowMs, checkAlignment: true, checkFuture: true });
  return day;
}

/** `n` values from f(i). */
export const values = (n: number, f: (i: number) => number | null): (number | null)[] =>
  Array.from({ length: n }, (_, i) => f(i));

/** An all-actual history day with values f(slot). */
export function historyDay(date: string, f: (i: number) => number): HistoryDay {
  const n = layoutOf(date).slots;
  const wh = new Int32Array(n);
  for (let i = 0; i < n; i++) wh[i] = f(i);
  return { date, wh, quality: new Uint8Array(n).fill(Q_A) };
}

/** Registers for start 1 000 000 Wh delivered / 0 received and the given deltas. */
export function registers(deliveredDelta: number, receivedDelta = 0): DayRegisters {
  return {
    startDeliveredWh: 1_000_000,
    startReceivedWh: 50_000,
    endDeliveredWh: 1_000_000 + deliveredDelta,
    endReceivedWh: 50_000 + receivedDelta,
  };
}

export function context(overrides: Partial<VeeContext> = {}): VeeContext {
  return {
    timeZone: TZ,
    nowMs: FAR_FUTURE,
    meter: RESIDENTIAL,
    events: [],
    outageCodes: defaultEventCodeTable,
    history: [],
    stormSuspended: false,
    edits: [],
    ...overrides,
  };
}

export const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};
