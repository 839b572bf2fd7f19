import { describe, expect, it } from 'vitest';
import {
  M_EDIT,
  M_HEAD_END,
  M_LINEAR,
  M_NONE,
  M_REGISTER_SCALED,
  Q_A,
  Q_E,
  Q_M,
  Q_X,
  R_HEAD_END_ESTIMATE,
  R_NO_ESTIMATE,
  R_NONE,
  R_RANGE_HIGH,
} from '../../src/vee/codes.ts';
import { markHeadEndEstimates } from '../../src/vee/head-end-estimates.ts';
import { createVeeDay, dayTotalWh, qualityCounts } from '../../src/vee/model.ts';
import { DEFAULT_VEE_PARAMS, loadVeeParams } from '../../src/vee/params.ts';
import { runVee } from '../../src/vee/run-vee.ts';
import { placeReads } from '../../src/vee/validate-alignment.ts';
import {
  FAR_FUTURE,
  WEDNESDAY,
  context,
  layoutOf,
  readsOf,
  registers,
  slotStart,
  sum,
  values,
} from './support.ts';

const slot = (day: ReturnType<typeof runVee>['day'], i: number) => ({
  q: day.quality[i],
  method: day.method[i],
  reason: day.reason[i],
  wh: day.wh[i],
  original: day.hasOriginal[i] === 1 ? day.originalWh[i] : null,
});

describe('head-end estimates (estimated_flag)', () => {
  it('are class E with method HEAD_END and reason HEAD_END_ESTIMATE, value kept as received', () => {
    const vals = values(96, () => 200);
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, null, 'M1', [10, 11]),
      context(),
      DEFAULT_VEE_PARAMS,
    );
    expect(slot(day, 10)).toEqual({
      q: Q_E,
      method: M_HEAD_END,
      reason: R_HEAD_END_ESTIMATE,
      wh: 200,
      original: 200,
    });
    expect(slot(day, 11)).toMatchObject({ q: Q_E, method: M_HEAD_END });
    expect(slot(day, 12)).toEqual({ q: Q_A, method: M_NONE, reason: R_NONE, wh: 200, original: 200 });
    expect(qualityCounts(day)).toMatchObject({ actual: 94, estimated: 2 });
    expect(stats.headEndEstimated).toBe(2);
    expect(stats.estimated).toEqual({ outageFill: 0, linear: 0, likeDay: 0, loadShape: 0 });
  });

  it('are judged by the validation rules: a rejected one is a gap VEE estimates', () => {
    // 20 kWh in 15 minutes is above the residential maximum (10 kWh): RANGE_HIGH
    const vals = values(96, (i) => (i === 30 ? 20_000 : 100));
    const { day, stats } = runVee(readsOf(WEDNESDAY, vals, null, 'M1', [30]), context(), DEFAULT_VEE_PARAMS);
    expect(slot(day, 30)).toEqual({
      q: Q_E,
      method: M_LINEAR,
      reason: R_RANGE_HIGH,
      wh: 100,
      original: 20_000,
    });
    expect(stats.headEndEstimated).toBe(0);
    expect(stats.rejected.range).toBe(1);
  });

  it('are not anchors of linear interpolation', () => {
    const params = loadVeeParams({ AMI_VEE_DISABLED_RULES: 'like_day,load_shape' });
    // slot 21 missing between a head-end estimate (20) and an actual (22); slot 51 between actuals
    const vals = values(96, (i) => (i === 21 || i === 51 ? null : 100));
    const { day } = runVee(readsOf(WEDNESDAY, vals, null, 'M1', [20]), context(), params);
    expect(slot(day, 21)).toMatchObject({ q: Q_X, reason: R_NO_ESTIMATE });
    expect(slot(day, 51)).toMatchObject({ q: Q_E, method: M_LINEAR, wh: 100 });
  });

  it('are never rescaled to the register delta: only VEE estimates absorb it', () => {
    // 96 × 100 Wh received, one missing (slot 60), two head-end estimates; registers say 10 000 Wh
    const vals = values(96, (i) => (i === 60 ? null : 100));
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, registers(10_000), 'M1', [5, 6]),
      context(),
      DEFAULT_VEE_PARAMS,
    );
    expect(stats.registerScaling).toBe('scaled');
    expect([day.wh[5], day.wh[6], day.method[5]]).toEqual([100, 100, M_HEAD_END]);
    expect(slot(day, 60)).toMatchObject({ q: Q_E, method: M_REGISTER_SCALED, wh: 10_000 - 95 * 100 });
    expect(dayTotalWh(day)).toBe(10_000);
  });

  it('leave a day without VEE estimates unscaled, and count in the sum check as the reads they are', () => {
    const vals = values(96, () => 100);
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, registers(9_600), 'M1', [0, 95]),
      context(),
      DEFAULT_VEE_PARAMS,
    );
    expect(stats.registerScaling).toBe('no_estimates');
    expect(day.sumCheck.status).toBe('ok');
    expect(sum(day.wh)).toBe(9_600);
  });

  it('give way to a manual edit', () => {
    const vals = values(96, () => 100);
    const edit = {
      editId: 'e1',
      meterId: 'M1',
      intervalStartMs: slotStart(WEDNESDAY, 7),
      wh: 150,
      who: 'ops',
      atMs: 1,
      reason: 'meter read on site',
    };
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, null, 'M1', [7, 8]),
      context({ edits: [edit] }),
      DEFAULT_VEE_PARAMS,
    );
    expect(slot(day, 7)).toMatchObject({ q: Q_M, method: M_EDIT, wh: 150, original: 100 });
    expect(slot(day, 8)).toMatchObject({ q: Q_E, method: M_HEAD_END });
    expect(stats.headEndEstimated).toBe(1);
  });

  it('follow the read a duplicate placement keeps (the larger consumption)', () => {
    const day = createVeeDay('M1', layoutOf(WEDNESDAY));
    const reads = {
      ...readsOf(WEDNESDAY, []),
      startMs: Float64Array.from([slotStart(WEDNESDAY, 3), slotStart(WEDNESDAY, 3), slotStart(WEDNESDAY, 4)]),
      wh: Int32Array.from([100, 120, 90]),
      deliveredWh: Int32Array.from([100, 120, 90]),
      receivedWh: new Int32Array(3),
      estimatedFlag: Uint8Array.from([0, 1, 1]),
    };
    placeReads(day, reads, { nowMs: FAR_FUTURE, checkAlignment: true, checkFuture: true });
    expect([day.headEndFlag[3], day.headEndFlag[4]]).toEqual([1, 1]);
    expect(markHeadEndEstimates(day)).toBe(2);
    expect([day.quality[3], day.wh[3], day.method[4]]).toEqual([Q_E, 120, M_HEAD_END]);
    expect(day.quality[5]).toBe(Q_X); // a gap stays a gap
  });
});
