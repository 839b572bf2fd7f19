import { describe, expect, it } from 'vitest';
import { validateReconciliationReport } from '@ami/shared/contracts';
import { buildReconciliationReport, compareTransformerDay } from '../../src/reconciliation/compare.ts';

const T0 = Date.UTC(2025, 2, 9, 23, 0);
const Q = 900_000;
const W = 4; // a short "day" keeps the arrays readable; the logic does not depend on the length

describe('compareTransformerDay', () => {
  const auth = {
    transformerId: 'T1',
    wh: [100, 200, 300, 400],
    veeIntervals: [0, 1, 0, 0],
    headEndEstimates: [0, 0, 2, 1],
  };

  it('splits differing windows into VEE-explained and unexplained (head-end estimates explain nothing)', () => {
    const r = compareTransformerDay(auth, [100, 150, 280, 400], T0, W);
    expect(r).toEqual({
      transformer_id: 'T1',
      provisional_wh: 930,
      authoritative_wh: 1000,
      diff_wh: 70,
      windows_compared: 4,
      windows_equal: 2,
      windows_explained: 1,
      windows_unexplained: 1,
      windows_with_vee_changes: 1,
      windows_with_head_end_estimates: 2,
      unexplained_windows: [new Date(T0 + 2 * Q).toISOString().replace('.000', '')],
    });
  });

  it('counts an equal window as equal even when VEE touched it', () => {
    const r = compareTransformerDay(auth, [100, 200, 300, 400], T0, W);
    expect([r.windows_equal, r.windows_explained, r.windows_unexplained, r.diff_wh]).toEqual([4, 0, 0, 0]);
  });

  it('reports nulls, not zeros, when the provisional side is unavailable', () => {
    const r = compareTransformerDay(auth, null, T0, W);
    expect(r.provisional_wh).toBeNull();
    expect(r.diff_wh).toBeNull();
    expect(r.windows_compared).toBeNull();
    expect(r.authoritative_wh).toBe(1000);
    expect([r.windows_with_vee_changes, r.windows_with_head_end_estimates]).toEqual([1, 2]);
  });
});

describe('buildReconciliationReport', () => {
  const base = {
    date: '2025-03-10',
    timeZone: 'Europe/Stockholm',
    generatedAtMs: Date.UTC(2025, 2, 12),
    catalogVersion: 'v7',
    firstWindowMs: T0,
    windows: W,
    authoritative: [
      {
        transformerId: 'T2',
        wh: [10, 10, 10, 10],
        veeIntervals: [0, 0, 0, 0],
        headEndEstimates: [0, 0, 0, 0],
      },
      { transformerId: 'T1', wh: [1, 2, 3, 4], veeIntervals: [1, 0, 0, 0], headEndEstimates: [0, 1, 0, 0] },
    ],
  };

  it('totals over transformers and includes provisional-only transformers as unexplained', () => {
    const report = buildReconciliationReport({
      ...base,
      provisional: new Map([
        ['T1', [0, 2, 3, 4]],
        ['T2', [10, 10, 10, 10]],
        ['T9', [0, 5, 0, 0]],
      ]),
    });
    expect(report.transformers.map((t) => t.transformer_id)).toEqual(['T1', 'T2', 'T9']);
    expect(report.totals).toEqual({
      transformers: 3,
      provisional_wh: 54,
      authoritative_wh: 50,
      diff_wh: -4,
      windows_compared: 12,
      windows_equal: 10,
      windows_explained: 1,
      windows_unexplained: 1,
    });
    expect(report.provisional).toBe('available');
    expect(report.transformers.map((t) => t.windows_with_head_end_estimates)).toEqual([1, 0, 0]);
    expect(validateReconciliationReport(report).ok).toBe(true);
  });

  it('still accepts a stored report made before head-end estimates were counted', () => {
    const report = buildReconciliationReport({ ...base, provisional: null });
    const old = {
      ...report,
      transformers: report.transformers.map(({ windows_with_head_end_estimates: _, ...t }) => t),
    };
    expect(validateReconciliationReport(old).ok).toBe(true);
  });

  it('marks an unavailable provisional side', () => {
    const report = buildReconciliationReport({ ...base, provisional: null });
    expect(report.provisional).toBe('unavailable');
    expect(report.totals.provisional_wh).toBeNull();
    expect(report.totals.windows_unexplained).toBeNull();
    expect(report.totals.authoritative_wh).toBe(50);
    expect(validateReconciliationReport(report).ok).toBe(true);
  });
});
