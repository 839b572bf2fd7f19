/**
 * Billing quality gate (pure): a service point's billing period is put on `hold` when more than
 * `billingHoldShare` of its intervals are estimated (E: VEE's estimates and the head-end's —
 * estimated_flag, method HEAD_END — alike) or missing (X), or when it has no intervals. Actual,
 * edited and outage intervals count as billable quality.
 */
export interface PeriodQualityCounts {
  /** All intervals of the period (every slot of every local day of every meter of the service point). */
  readonly intervals: number;
  /** Class E intervals: estimated by VEE or by the head-end. */
  readonly estimated: number;
  readonly missing: number;
}

export type BillingGate =
  | { readonly status: 'ok'; readonly share: number }
  | {
      readonly status: 'hold';
      readonly share: number;
      readonly reason: 'ESTIMATED_SHARE_ABOVE_LIMIT' | 'NO_INTERVALS';
      readonly detail: string;
    };

export function billingQualityGate(c: PeriodQualityCounts, holdShare: number): BillingGate {
  if (c.intervals <= 0) {
    return { status: 'hold', share: 1, reason: 'NO_INTERVALS', detail: 'the period has no intervals' };
  }
  const share = (c.estimated + c.missing) / c.intervals;
  if (share > holdShare) {
    return {
      status: 'hold',
      share,
      reason: 'ESTIMATED_SHARE_ABOVE_LIMIT',
      detail: `${c.estimated} estimated + ${c.missing} missing of ${c.intervals} intervals (${(share * 100).toFixed(2)} %) exceed ${(holdShare * 100).toFixed(2)} %`,
    };
  }
  return { status: 'ok', share };
}
