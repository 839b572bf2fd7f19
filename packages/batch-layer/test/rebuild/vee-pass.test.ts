/**
 * runDayVee (pure): what a day rebuild stages for the views. A head-end estimate travels back from
 * JS as an exception row (class E, method HEAD_END, its value and original as received) and counts as
 * estimated in the meter_daily figures, from which every rollup and the billing gate count.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOU_CALENDAR, defaultEventCodeTable } from '@ami/shared/domain';
import { INTERVAL_MS } from '@ami/shared/time';
import {
  DEMAND_HISTORY,
  ExceptionRows,
  MeterDayFigures,
  meterOffsets,
  runDayVee,
  type DayMeter,
  type DayVeeInput,
} from '../../src/rebuild/vee-pass.ts';
import { M_HEAD_END, Q_E, R_HEAD_END_ESTIMATE } from '../../src/vee/codes.ts';
import { dayLayout } from '../../src/vee/day-layout.ts';
import { DEFAULT_VEE_PARAMS } from '../../src/vee/params.ts';
import { decideStorm } from '../../src/vee/storm.ts';

const TZ = 'Europe/Stockholm';
const DATE = '2025-03-12';

const meter: DayMeter = {
  meterId: 'M1',
  servicePointId: 'SP1',
  customerId: 'C1',
  transformerId: 'T1',
  feederId: 'F1',
  substationId: 'S1',
  region: 'R1',
  segment: 'residential',
  tariff: 'flat',
  prosumer: false,
  known: true,
};

/** One meter with 96 reads of 100 Wh; the slots in `flagged` carry estimated_flag. */
function input(flagged: readonly number[]): DayVeeInput {
  const layout = dayLayout(DATE, TZ);
  const n = layout.slots;
  const startMs = Float64Array.from({ length: n }, (_, i) => layout.firstSlotMs + i * INTERVAL_MS);
  const wh = new Int32Array(n).fill(100);
  return {
    date: DATE,
    timeZone: TZ,
    nowMs: Date.UTC(2030, 0, 1),
    meters: [meter],
    reads: {
      length: n,
      m: new Int32Array(n),
      startMs,
      wh,
      deliveredWh: wh.slice(),
      receivedWh: new Int32Array(n),
      estimatedFlag: Uint8Array.from({ length: n }, (_, i) => (flagged.includes(i) ? 1 : 0)),
      repeatedIdentities: 0,
    },
    registers: new Map(),
    events: new Map(),
    edits: new Map(),
    outageCodes: defaultEventCodeTable,
    storm: decideStorm([], new Set(), DEFAULT_VEE_PARAMS),
    touCalendar: DEFAULT_TOU_CALENDAR,
    params: DEFAULT_VEE_PARAMS,
  };
}

function run(flagged: readonly number[]) {
  const day = input(flagged);
  const out = {
    exceptions: new ExceptionRows(),
    figures: new MeterDayFigures(1),
    totals: { meters: 0, rejected: 0, estimated: 0, headEndEstimated: 0, edited: 0 },
  };
  const demanded = runDayVee(day, [0], () => DEMAND_HISTORY, meterOffsets(day.reads, 1), out);
  expect(demanded).toEqual([]);
  return out;
}

describe('runDayVee with head-end estimates', () => {
  it('stages them as exceptions and counts them as estimated', () => {
    const out = run([10, 11, 12]);
    const x = out.exceptions;
    expect(x.length).toBe(3);
    expect(Array.from(x.slot.subarray(0, 3))).toEqual([10, 11, 12]);
    for (let k = 0; k < 3; k++) {
      expect([x.quality[k], x.method[k], x.reason[k], x.wh[k], x.originalWh[k], x.hasOriginal[k]]).toEqual([
        Q_E,
        M_HEAD_END,
        R_HEAD_END_ESTIMATE,
        100,
        100,
        1,
      ]);
    }
    // meter_daily counts: A E M X O
    expect(Array.from(out.figures.counts)).toEqual([93, 3, 0, 0, 0]);
    expect(out.figures.wh[0]).toBe(9600);
    expect(out.totals).toMatchObject({ estimated: 3, headEndEstimated: 3 });
  });

  it('stages nothing for a day of unflagged actuals', () => {
    const out = run([]);
    expect(out.exceptions.length).toBe(0);
    expect(Array.from(out.figures.counts)).toEqual([96, 0, 0, 0, 0]);
  });
});
