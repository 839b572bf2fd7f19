import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES, defaultEventCodeTable } from '@ami/shared/domain';
import {
  commLossPossible,
  evaluateTransformerWindow,
  eventActions,
  isMeterCommLoss,
  isOutageBurst,
  isOutageCleared,
  largestGaspBurst,
  metersOutDuring,
  missedRun,
  outageRestoreStatus,
  receiptRatePct,
  type WindowFacts,
} from '../../src/alerts/rules.ts';

const R = DEFAULT_ALERT_RULES;

function facts(
  reported: number,
  active: number,
  minCv: number | null,
  maxCv: number | null,
  out = 0,
): WindowFacts {
  return {
    activeMeters: active,
    metersOut: out,
    window: { metersReported: reported, voltageMinCv: minCv, voltageMaxCv: maxCv },
  };
}

function decision(f: WindowFacts, type: string) {
  return evaluateTransformerWindow(f, R).find((x) => x.type === type);
}

describe('LOW_RECEIPT_RATE', () => {
  it('opens below 80 % and clears at exactly 80 %', () => {
    expect(decision(facts(8, 10, 23000, 23000), 'LOW_RECEIPT_RATE')).toMatchObject({
      decision: 'clear',
      value: 80,
    });
    expect(decision(facts(12, 15, 23000, 23000), 'LOW_RECEIPT_RATE')?.decision).toBe('clear');
    expect(decision(facts(7, 10, 23000, 23000), 'LOW_RECEIPT_RATE')).toMatchObject({
      decision: 'open',
      value: 70,
    });
    expect(decision(facts(79, 99, 23000, 23000), 'LOW_RECEIPT_RATE')?.decision).toBe('open');
    expect(decision(facts(0, 10, null, null), 'LOW_RECEIPT_RATE')).toMatchObject({
      decision: 'open',
      value: 0,
    });
  });
  it('does not count meters without power, and is not evaluated when none is expected', () => {
    expect(decision(facts(5, 10, 23000, 23000, 5), 'LOW_RECEIPT_RATE')?.decision).toBe('clear');
    expect(decision(facts(3, 10, 23000, 23000, 5), 'LOW_RECEIPT_RATE')?.decision).toBe('open');
    expect(decision(facts(0, 10, null, null, 10), 'LOW_RECEIPT_RATE')?.decision).toBe('keep');
    expect(decision(facts(0, 0, null, null), 'LOW_RECEIPT_RATE')?.decision).toBe('keep');
  });
  it('caps the rate at 100 %', () => {
    expect(receiptRatePct(12, 10)).toBe(100);
    expect(receiptRatePct(1, 3)).toBeCloseTo(33.333, 3);
  });
});

describe('LOW_VOLTAGE / HIGH_VOLTAGE', () => {
  it('opens strictly below 207 V and above 253 V', () => {
    expect(decision(facts(10, 10, 20700, 25300), 'LOW_VOLTAGE')).toMatchObject({
      decision: 'clear',
      value: 207,
    });
    expect(decision(facts(10, 10, 20700, 25300), 'HIGH_VOLTAGE')).toMatchObject({
      decision: 'clear',
      value: 253,
    });
    expect(decision(facts(10, 10, 20699, 25301), 'LOW_VOLTAGE')).toMatchObject({
      decision: 'open',
      value: 206.99,
    });
    expect(decision(facts(10, 10, 20699, 25301), 'HIGH_VOLTAGE')).toMatchObject({
      decision: 'open',
      value: 253.01,
    });
  });
  it('keeps the state when no meter reported a voltage', () => {
    expect(decision(facts(0, 10, null, null), 'LOW_VOLTAGE')?.decision).toBe('keep');
    expect(decision(facts(0, 10, null, null), 'HIGH_VOLTAGE')?.decision).toBe('keep');
  });
});

describe('TRANSFORMER_OUTAGE', () => {
  const g = (...ts: number[]) => ts.map((t, i) => ({ meterId: `M${i}`, tsMs: t }));
  it('counts gasps exactly 60 s apart together, not 60.001 s', () => {
    expect(largestGaspBurst(g(0, 30_000, 60_000), R.outageWindowMs)).toEqual({ count: 3, startMs: 0 });
    expect(largestGaspBurst(g(0, 30_000, 60_001), R.outageWindowMs).count).toBe(2);
    expect(largestGaspBurst(g(60_001, 0, 30_000, 61_000), R.outageWindowMs)).toEqual({
      count: 3,
      startMs: 30_000,
    });
    expect(largestGaspBurst([], R.outageWindowMs).count).toBe(0);
  });
  it('only counts spans that contain the gasp just received', () => {
    const gasps = g(0, 1000, 2000, 200_000);
    expect(largestGaspBurst(gasps, R.outageWindowMs, 200_000).count).toBe(1);
    expect(largestGaspBurst(gasps, R.outageWindowMs, 1000)).toEqual({ count: 3, startMs: 0 });
  });
  it('needs 3 meters or 50 % of the active meters', () => {
    const burst = (count: number) => ({ count, startMs: 0 });
    expect(isOutageBurst(burst(3), 100, R)).toBe(true);
    expect(isOutageBurst(burst(2), 100, R)).toBe(false);
    expect(isOutageBurst(burst(2), 4, R)).toBe(true);
    expect(isOutageBurst(burst(2), 5, R)).toBe(false);
    expect(isOutageBurst(burst(1), 2, R)).toBe(true);
    expect(isOutageBurst(burst(0), 0, R)).toBe(false);
  });
  it('counts a meter that gasped twice in the span once', () => {
    const gasps = [
      { meterId: 'A', tsMs: 0 },
      { meterId: 'A', tsMs: 10_000 },
      { meterId: 'B', tsMs: 20_000 },
    ];
    expect(largestGaspBurst(gasps, R.outageWindowMs)).toEqual({ count: 2, startMs: 0 });
  });
  const h = (o: Record<string, number[]>) => new Map(Object.entries(o));
  it('clears when the configured share of the burst meters restored after their gasp', () => {
    const W = R.outageWindowMs;
    const gasps = h({ A: [1000], B: [2000], C: [3000], OLD: [10], LATER: [1000 + W + 1] });
    const restores = h({ A: [5000], B: [1500] /* before its gasp: an older restore */, OLD: [20] });
    const s = outageRestoreStatus(gasps, restores, 1000, W);
    expect(s).toEqual({ gasped: 3, restored: 1, lastRestoreMs: 5000 });
    expect(isOutageCleared(s, 100)).toBe(false);
    expect(isOutageCleared(s, 33)).toBe(true);
    const all = outageRestoreStatus(
      gasps,
      h({ ...Object.fromEntries(restores), B: [1500, 6000], C: [5500] }),
      1000,
      W,
    );
    expect(all).toEqual({ gasped: 3, restored: 3, lastRestoreMs: 6000 });
    expect(isOutageCleared(all, 100)).toBe(true);
    expect(isOutageCleared(outageRestoreStatus(new Map(), new Map(), 0, W), 1)).toBe(false);
  });
  it('judges an outage by its own gasps and restores, whatever is known of later outages', () => {
    const W = R.outageWindowMs;
    // Two outages, at 0 and at 10 h; the second one's events are already known (processed first).
    const gasps = h({ A: [0, 36_000_000], B: [1000, 36_001_000], C: [2000, 36_002_000] });
    const first = h({ A: [3_600_000, 39_600_000], B: [3_601_000, 39_601_000] });
    expect(outageRestoreStatus(gasps, first, 0, W)).toEqual({
      gasped: 3,
      restored: 2,
      lastRestoreMs: 3_601_000, // the first restores after the gasps, not the later outage's
    });
    // C's only restore is the later outage's: it restores C's first gasp too (C came back then).
    const withC = h({ ...Object.fromEntries(first), C: [39_602_000] });
    expect(outageRestoreStatus(gasps, withC, 0, W).restored).toBe(3);
    expect(outageRestoreStatus(gasps, withC, 36_000_000, W)).toEqual({
      gasped: 3,
      restored: 3,
      lastRestoreMs: 39_602_000,
    });
  });
  it('knows which meters were without power during a window', () => {
    const gasps = h({ A: [1000], B: [1000], C: [1000], D: [2000], E: [1000], F: [100, 1000], G: [3000] });
    const restores = h({
      A: [1500], // restored before the window
      B: [2000], // restored exactly at the window start
      C: [2001], // restored inside the window
      E: [500], // restore older than its gasp
      F: [200, 1800], // out twice, back before the window
      G: [3500], // gasped after the window
    });
    expect([...metersOutDuring(gasps, restores, 2000, 2900)].sort()).toEqual(['C', 'D', 'E']);
    expect([...metersOutDuring(gasps, restores, 0, 1000)].sort()).toEqual(['F']); // others gasp at the end
    expect([...metersOutDuring(gasps, restores, 150, 190)]).toEqual(['F']); // between F's first gasp and restore
  });
});

describe('METER_COMM_LOSS', () => {
  it('needs 4 consecutive missed intervals while others of the transformer reported', () => {
    expect(isMeterCommLoss([false, false, false, false], [5, 5, 5, 5], R)).toBe(true);
    expect(isMeterCommLoss([true, false, false, false], [5, 5, 5, 5], R)).toBe(false);
    expect(isMeterCommLoss([false, false, false, false], [5, 0, 5, 5], R)).toBe(false);
    expect(missedRun([true, false, false, false, false], [5, 5, 5, 5, 5])).toBe(4);
    expect(missedRun([false, false, false, true], [5, 5, 5, 5])).toBe(0);
  });
  it('pre-checks the transformer windows', () => {
    const w = (reported: number, expected: number) => ({ reported, expected });
    expect(commLossPossible([w(9, 10), w(9, 10), w(9, 10), w(9, 10)], R)).toBe(true);
    expect(commLossPossible([w(9, 10), w(10, 10), w(9, 10), w(9, 10)], R)).toBe(false);
    expect(commLossPossible([w(9, 10), w(0, 10), w(9, 10), w(9, 10)], R)).toBe(false);
    expect(commLossPossible([w(9, 10), w(9, 10), w(9, 10)], R)).toBe(false);
  });
});

describe('event actions', () => {
  it('follow the code table', () => {
    const t = defaultEventCodeTable;
    const a = (code: number) => {
      const def = t.get(code);
      if (def === undefined) throw new Error(`no code ${code}`);
      return eventActions(def);
    };
    expect(a(3840)).toEqual({ alert: true, lastGasp: true, restore: false });
    expect(a(3843)).toEqual({ alert: false, lastGasp: false, restore: true });
    for (const code of [3841, 3842, 2048, 2049, 1024]) {
      expect(a(code)).toEqual({ alert: true, lastGasp: false, restore: false });
    }
  });
});
