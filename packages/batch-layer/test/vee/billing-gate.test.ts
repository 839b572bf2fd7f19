import { describe, expect, it } from 'vitest';
import { billingQualityGate } from '../../src/vee/billing-gate.ts';

describe('billingQualityGate', () => {
  it('ok at exactly the limit, hold above it, counting estimated + missing', () => {
    expect(billingQualityGate({ intervals: 1000, estimated: 60, missing: 40 }, 0.1)).toEqual({
      status: 'ok',
      share: 0.1,
    });
    const g = billingQualityGate({ intervals: 1000, estimated: 60, missing: 41 }, 0.1);
    expect(g.status).toBe('hold');
    expect(g.status === 'hold' && g.reason).toBe('ESTIMATED_SHARE_ABOVE_LIMIT');
    expect(g.share).toBeCloseTo(0.101, 12);
  });
  it('a period without intervals is held', () => {
    expect(billingQualityGate({ intervals: 0, estimated: 0, missing: 0 }, 0.1)).toMatchObject({
      status: 'hold',
      reason: 'NO_INTERVALS',
    });
  });
  it('a month with DST days counts its real interval number (2976 − 4 in March)', () => {
    const intervals = 31 * 96 - 4;
    expect(billingQualityGate({ intervals, estimated: 297, missing: 0 }, 0.1).status).toBe('ok');
    expect(billingQualityGate({ intervals, estimated: 298, missing: 0 }, 0.1).status).toBe('hold');
  });
});
