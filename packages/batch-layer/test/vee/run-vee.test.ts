import { describe, expect, it } from 'vitest';
import {
  M_EDIT,
  M_LIKE_DAY,
  M_LINEAR,
  M_LOAD_SHAPE,
  M_NONE,
  M_OUTAGE_FILL,
  M_REGISTER_SCALED,
  Q_A,
  Q_E,
  Q_M,
  Q_O,
  Q_X,
  R_MISSING,
  R_NO_ESTIMATE,
  R_NOT_YET_DUE,
  R_SPIKE,
  R_STORM_SUSPENDED,
  R_STUCK_AT_ZERO,
  R_UNKNOWN_METER,
} from '../../src/vee/codes.ts';
import { dayTotalWh, qualityCounts } from '../../src/vee/model.ts';
import { DEFAULT_VEE_PARAMS, loadVeeParams } from '../../src/vee/params.ts';
import { runVee } from '../../src/vee/run-vee.ts';
import { FALL, WEDNESDAY, context, historyDay, readsOf, registers, slotStart, values } from './support.ts';

const GASP = 3840;
const RESTORE = 3843;
// Weekday history for Wednesday 2025-03-12: constant 300 Wh on Tue, Mon, Fri, Thu before it.
const weekdayHistory = ['2025-03-11', '2025-03-10', '2025-03-07', '2025-03-06', '2025-03-05'].map((d) =>
  historyDay(d, () => 300),
);

describe('runVee: order of estimation methods', () => {
  // gaps: 10–11 inside an outage (linear could fill them), 20–21 short, 40–47 long
  const vals = values(96, (i) =>
    (i >= 10 && i < 12) || (i >= 20 && i < 22) || (i >= 40 && i < 48) ? null : 100,
  );
  const events = [
    { code: GASP, tsMs: slotStart(WEDNESDAY, 10) },
    { code: RESTORE, tsMs: slotStart(WEDNESDAY, 12) },
  ];

  it('outage fill → linear → like-day, each where its preconditions hold first', () => {
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals),
      context({ events, history: weekdayHistory }),
      DEFAULT_VEE_PARAMS,
    );
    expect([day.quality[10], day.method[10], day.wh[10]]).toEqual([Q_O, M_OUTAGE_FILL, 0]);
    expect([day.quality[20], day.method[20], day.wh[20]]).toEqual([Q_E, M_LINEAR, 100]);
    expect([day.quality[40], day.method[40], day.wh[40]]).toEqual([Q_E, M_LIKE_DAY, 300]);
    expect(day.reason[40]).toBe(R_MISSING);
    expect(stats.estimated).toEqual({ outageFill: 2, linear: 2, likeDay: 8, loadShape: 0 });
  });

  it('load shape is the last resort (no history)', () => {
    const { day } = runVee(readsOf(WEDNESDAY, vals), context({ events }), DEFAULT_VEE_PARAMS);
    expect(day.method[40]).toBe(M_LOAD_SHAPE);
    expect(day.quality[40]).toBe(Q_E);
    expect(day.wh[40]).toBeGreaterThan(0);
  });

  it('without the outage rule, outage gaps are interpolated; rules switch off by setting', () => {
    const params = loadVeeParams({ AMI_VEE_DISABLED_RULES: 'outage_fill,like_day,load_shape' });
    const { day } = runVee(readsOf(WEDNESDAY, vals), context({ events, history: weekdayHistory }), params);
    expect(day.method[10]).toBe(M_LINEAR);
    expect([day.quality[40], day.reason[40], day.method[40]]).toEqual([Q_X, R_NO_ESTIMATE, M_NONE]);
  });
});

describe('runVee: composed day', () => {
  it('spike and stuck run removed, estimated, edited slot kept, day scaled exactly to the register', () => {
    // 300 Wh everywhere; slot 30 spikes; slots 60–69 stuck at zero; slot 5 missing; slot 80 edited.
    const vals = values(96, (i) => (i === 5 ? null : i === 30 ? 5000 : i >= 60 && i < 70 ? 0 : 300));
    const edits = [
      {
        editId: 'e1',
        meterId: 'M1',
        intervalStartMs: slotStart(WEDNESDAY, 80),
        wh: 1234,
        who: 'bob',
        atMs: 1,
        reason: 'site visit',
      },
    ];
    const target = 96 * 300 + 1234 - 300 + 777; // register says a bit more than the estimates will give
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, registers(target)),
      context({ history: weekdayHistory, edits }),
      DEFAULT_VEE_PARAMS,
    );
    expect(stats.rejected.spike).toBe(1);
    expect(stats.rejected.stuckAtZero).toBe(10);
    expect([day.reason[30], day.originalWh[30], day.hasOriginal[30]]).toEqual([R_SPIKE, 5000, 1]);
    expect(day.reason[65]).toBe(R_STUCK_AT_ZERO);
    expect([day.quality[80], day.method[80], day.wh[80], day.originalWh[80]]).toEqual([
      Q_M,
      M_EDIT,
      1234,
      300,
    ]);
    expect(stats.registerScaling).toBe('scaled');
    expect(day.method[65]).toBe(M_REGISTER_SCALED);
    expect(dayTotalWh(day)).toBe(target);
    expect(qualityCounts(day)).toEqual({ actual: 83, estimated: 12, edited: 1, missing: 0, outage: 0 });
    expect(day.sumCheck.status).toBe('incomplete');
  });

  it('exact register total on a 100-slot day with a long gap', () => {
    const vals = values(100, (i) => (i >= 30 && i < 70 ? null : 250));
    const target = 60 * 250 + 40 * 260 + 3;
    const { day } = runVee(readsOf(FALL, vals, registers(target)), context(), DEFAULT_VEE_PARAMS);
    expect(day.slots).toBe(100);
    expect(qualityCounts(day).missing).toBe(0);
    expect(dayTotalWh(day)).toBe(target);
  });

  it('a complete actual day is sum-checked and never scaled', () => {
    const { day, stats } = runVee(
      readsOf(
        WEDNESDAY,
        values(96, () => 100),
        registers(9700),
      ),
      context(),
      DEFAULT_VEE_PARAMS,
    );
    expect(day.sumCheck.status).toBe('mismatch');
    expect(day.issues.map((i) => i.code)).toContain('SUM_CHECK_MISMATCH');
    expect(stats.registerScaling).toBe('no_estimates');
    expect(dayTotalWh(day)).toBe(9600);
  });

  it('is deterministic', () => {
    const vals = values(96, (i) => (i % 7 === 0 ? null : 100 + i));
    const a = runVee(
      readsOf(WEDNESDAY, vals, registers(12_345)),
      context({ history: weekdayHistory }),
      DEFAULT_VEE_PARAMS,
    );
    const b = runVee(
      readsOf(WEDNESDAY, vals, registers(12_345)),
      context({ history: weekdayHistory }),
      DEFAULT_VEE_PARAMS,
    );
    expect(Array.from(a.day.wh)).toEqual(Array.from(b.day.wh));
    expect(Array.from(a.day.method)).toEqual(Array.from(b.day.method));
  });
});

describe('runVee: storm, unknown meter, not yet due', () => {
  it('storm mode: gaps stay X with STORM_SUSPENDED, actuals and edits kept, no outage fill', () => {
    const vals = values(96, (i) => (i < 50 ? 100 : null));
    const { day, stats } = runVee(
      readsOf(WEDNESDAY, vals, registers(9600)),
      context({
        stormSuspended: true,
        history: weekdayHistory,
        events: [{ code: GASP, tsMs: slotStart(WEDNESDAY, 50) }],
      }),
      DEFAULT_VEE_PARAMS,
    );
    expect(stats.stormSuspended).toBe(true);
    expect([day.quality[60], day.reason[60]]).toEqual([Q_X, R_STORM_SUSPENDED]);
    expect(day.quality[10]).toBe(Q_A);
    expect(qualityCounts(day).missing).toBe(46);
    expect(day.issues.map((i) => i.code)).toEqual(['STORM_SUSPENDED']);
  });

  it('unknown meter: whole day rejected', () => {
    const { day, stats } = runVee(
      readsOf(
        WEDNESDAY,
        values(96, () => 100),
      ),
      context({ meter: null }),
      DEFAULT_VEE_PARAMS,
    );
    expect(stats.unknownMeter).toBe(true);
    expect(qualityCounts(day).missing).toBe(96);
    expect(day.reason[0]).toBe(R_UNKNOWN_METER);
    expect(day.originalWh[0]).toBe(100);
  });

  it('slots not over at now are never estimated (NOT_YET_DUE), and the day is not scaled', () => {
    const now = slotStart(WEDNESDAY, 40);
    const { day, stats } = runVee(
      readsOf(
        WEDNESDAY,
        values(96, (i) => (i < 38 ? 100 : null)),
        registers(9600),
      ),
      context({ nowMs: now, history: weekdayHistory }),
      DEFAULT_VEE_PARAMS,
    );
    expect(day.quality[38]).toBe(Q_E);
    expect(day.quality[39]).toBe(Q_E);
    expect([day.quality[40], day.reason[40]]).toEqual([Q_X, R_NOT_YET_DUE]);
    expect(stats.registerScaling).toBe('incomplete');
  });
});
