/**
 * VEE code tables (SPEC 5): the per-interval quality class, estimation method and reason code, stored
 * as small integers (Uint8Array columns of a VeeDay) with their names for the views and the API.
 * Codes are only ever appended (views store the names, history is read back by name). Their mapping
 * to IEC 61968-9 reading qualities and Green Button QualityOfReading is reading-qualities.ts.
 */

/** Quality class per interval: A actual, E estimated, M edited, X missing, O outage. */
export const QUALITY_CLASSES = ['A', 'E', 'M', 'X', 'O'] as const;
export type QualityClass = (typeof QUALITY_CLASSES)[number];
export const Q_A = 0;
export const Q_E = 1;
export const Q_M = 2;
export const Q_X = 3;
export const Q_O = 4;

/**
 * How an interval's final value was obtained. HEAD_END: the head-end estimated it (the read carried
 * `estimated_flag: true`) and no VEE rule rejected it — class E, value kept as received.
 */
export const METHODS = [
  'NONE',
  'OUTAGE_FILL',
  'LINEAR',
  'LIKE_DAY',
  'LOAD_SHAPE',
  'REGISTER_SCALED',
  'EDIT',
  'HEAD_END',
] as const;
export type Method = (typeof METHODS)[number];
export const M_NONE = 0;
export const M_OUTAGE_FILL = 1;
export const M_LINEAR = 2;
export const M_LIKE_DAY = 3;
export const M_LOAD_SHAPE = 4;
export const M_REGISTER_SCALED = 5;
export const M_EDIT = 6;
export const M_HEAD_END = 7;

/**
 * Why an interval is not simply an actual read (0 = nothing to say: an actual that passed every rule).
 * Codes 2–8 are validation failures (the read was removed and its value kept as the original);
 * HEAD_END_ESTIMATE is a read kept as received that the head-end estimated.
 */
export const VEE_REASONS = [
  'NONE',
  'MISSING',
  'MISALIGNED_INTERVAL',
  'FUTURE_TIMESTAMP',
  'RANGE_HIGH',
  'RANGE_NEGATIVE',
  'NET_MISMATCH',
  'SPIKE',
  'STUCK_AT_ZERO',
  'UNKNOWN_METER',
  'STORM_SUSPENDED',
  'NO_ESTIMATE',
  'NOT_YET_DUE',
  'MANUAL_EDIT',
  'HEAD_END_ESTIMATE',
] as const;
export type VeeReason = (typeof VEE_REASONS)[number];
export const R_NONE = 0;
export const R_MISSING = 1;
export const R_MISALIGNED = 2;
export const R_FUTURE = 3;
export const R_RANGE_HIGH = 4;
export const R_RANGE_NEGATIVE = 5;
export const R_NET_MISMATCH = 6;
export const R_SPIKE = 7;
export const R_STUCK_AT_ZERO = 8;
export const R_UNKNOWN_METER = 9;
export const R_STORM_SUSPENDED = 10;
export const R_NO_ESTIMATE = 11;
export const R_NOT_YET_DUE = 12;
export const R_MANUAL_EDIT = 13;
export const R_HEAD_END_ESTIMATE = 14;

/** Meaning of every reason code (README and docs). */
export const VEE_REASON_MEANINGS: Readonly<Record<VeeReason, string>> = {
  NONE: 'An actual read that passed every validation rule.',
  MISSING: 'No read arrived for the interval.',
  MISALIGNED_INTERVAL:
    'The read’s interval_start is not on a 15-minute boundary; kept as the original of the slot containing it.',
  FUTURE_TIMESTAMP: 'The read’s interval_start is at or after `now` (the build time).',
  RANGE_HIGH: 'Energy above the segment’s maximum per interval.',
  RANGE_NEGATIVE:
    'Negative energy on a non-prosumer beyond the tolerance, or beyond the segment’s export limit on a prosumer.',
  NET_MISMATCH: 'consumption ≠ delivered − received beyond the tolerance.',
  SPIKE:
    'Energy above k × the meter’s robust recent level (p95 of its recent actual intervals) and above the floor.',
  STUCK_AT_ZERO:
    'Part of a run of ≥ N consecutive zero intervals (delivered and received 0) on a meter whose history says it normally consumes.',
  UNKNOWN_METER: 'The meter has no topology version for the day; the whole day is rejected.',
  STORM_SUSPENDED: 'Missing, and estimation is suspended for the meter’s feeder/region (storm mode).',
  NO_ESTIMATE: 'Missing, and no estimation method’s preconditions held.',
  NOT_YET_DUE: 'Missing, and the interval starts at or after `now`: the future is never estimated.',
  MANUAL_EDIT: 'Value set by a manual edit.',
  HEAD_END_ESTIMATE:
    'The head-end flagged the read as estimated (`estimated_flag: true`) and no VEE rule rejected it: class E, method HEAD_END, value kept as received.',
};

/**
 * Day-level findings: rules that judge the day as a whole (no single interval to blame) and
 * conditions that changed how the day was processed.
 */
export const DAY_ISSUES = [
  'UNKNOWN_METER',
  'SUM_CHECK_MISMATCH',
  'REGISTER_DECREASED',
  'REGISTER_BELOW_ACTUALS',
  'REGISTER_SIGN_CONFLICT',
  'STORM_SUSPENDED',
  'DUPLICATE_READ',
  'READ_OUTSIDE_DAY',
  'EDIT_REJECTED',
] as const;
export type DayIssueCode = (typeof DAY_ISSUES)[number];

export interface DayIssue {
  readonly code: DayIssueCode;
  readonly detail: string;
}
