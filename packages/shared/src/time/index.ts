/**
 * @ami/shared/time — the one definition of time every layer uses (SPEC 3.5).
 *
 * Instants are UTC epoch milliseconds (`number`); local calendar values are strings: dates
 * 'YYYY-MM-DD', months and billing periods 'YYYY-MM'. Local days and months are taken in the zone
 * passed in (AMI_TIMEZONE, default Europe/Stockholm); 15-minute and hourly windows are UTC-aligned.
 * Attribution is by interval start: a window [ws, we) holds an interval iff ws ≤ interval_start < we.
 * Zone lookups are cached (zone-rules.ts), so the hot calls cost a few comparisons.
 */
export {
  DAY_MS,
  HOUR_MS,
  INTERVAL_MS,
  MAX_INSTANT_MS,
  MINUTE_MS,
  MIN_INSTANT_MS,
  SECOND_MS,
  assertInstant,
} from './constants.ts';
export {
  alignToIntervalStart,
  containsIntervalStart,
  intervalCount,
  intervalEnd,
  intervalStartsIn,
  isAlignedIntervalStart,
  type TimeRange,
} from './interval.ts';
export {
  addLocalDays,
  intervalIndexInLocalDay,
  intervalStartsOfLocalDay,
  intervalsInLocalDay,
  isValidLocalDate,
  localDate,
  localDatesBetween,
  localDayBounds,
  localDaysBetween,
  weekdayOfLocalDate,
} from './local-date.ts';
export {
  addLocalMonths,
  isValidLocalMonth,
  localDatesOfMonth,
  localMonth,
  localMonthBounds,
  localMonthOfDate,
  localMonthsBetween,
} from './local-month.ts';
export {
  billingPeriodBounds,
  billingPeriodOf,
  billingPeriodOfDate,
  billingPeriodsBetween,
  isValidBillingPeriod,
  localDatesOfBillingPeriod,
  type BillingPeriod,
} from './billing.ts';
export {
  STEPS,
  isStep,
  windowBounds,
  windowBoundsOfKey,
  windowKey,
  windowStart,
  windowsBetween,
  type Step,
  type Window,
} from './window.ts';
export { localParts, utcOffsetMs, type LocalParts } from './local-parts.ts';
export { formatIsoOffset, formatIsoUtc, parseIsoInstant } from './iso.ts';
export { assertTimeZone, isValidTimeZone } from './intl.ts';
