/**
 * Billing periods (SPEC 3.5, 6): by default a billing period is the local calendar month in
 * AMI_TIMEZONE, named 'YYYY-MM'. Every layer asks these functions, so a change of billing rule
 * (e.g. cycle days) happens in one place.
 */
import type { TimeRange } from './interval.ts';
import {
  isValidLocalMonth,
  localDatesOfMonth,
  localMonth,
  localMonthBounds,
  localMonthOfDate,
  localMonthsBetween,
} from './local-month.ts';

/** A billing period id: 'YYYY-MM', the local calendar month. */
export type BillingPeriod = string;

/** True for a valid billing period id ('YYYY-MM'). */
export function isValidBillingPeriod(s: string): boolean {
  return isValidLocalMonth(s);
}

/** The billing period (local calendar month) of instant `ms` in `timeZone`. */
export function billingPeriodOf(ms: number, timeZone: string): BillingPeriod {
  return localMonth(ms, timeZone);
}

/** The billing period of a local date (the date's calendar month). */
export function billingPeriodOfDate(date: string): BillingPeriod {
  return localMonthOfDate(date);
}

/** Instants of a billing period: the bounds of its local calendar month. */
export function billingPeriodBounds(period: BillingPeriod, timeZone: string): TimeRange {
  return localMonthBounds(period, timeZone);
}

/** The local dates of a billing period, in order. */
export function localDatesOfBillingPeriod(period: BillingPeriod): string[] {
  return localDatesOfMonth(period);
}

/** Every billing period from `fromPeriod` to `toPeriod`, both inclusive. */
export function billingPeriodsBetween(fromPeriod: BillingPeriod, toPeriod: BillingPeriod): BillingPeriod[] {
  return localMonthsBetween(fromPeriod, toPeriod);
}
