/**
 * VEE unknown-meter rule: a meter with no topology version for the day has its whole day rejected:
 * every slot X with reason UNKNOWN_METER (originals kept), no estimation, and a day issue.
 */
import { Q_X, R_UNKNOWN_METER, M_NONE } from './codes.ts';
import { addIssue, type MeterInfo, type VeeDay } from './model.ts';

/** True (and the day rejected) when `meter` is null. */
export function rejectUnknownMeter(day: VeeDay, meter: MeterInfo | null): boolean {
  if (meter !== null) return false;
  day.quality.fill(Q_X);
  day.method.fill(M_NONE);
  day.reason.fill(R_UNKNOWN_METER);
  day.wh.fill(0);
  addIssue(day, 'UNKNOWN_METER', `meter ${day.meterId} has no topology version on ${day.layout.date}`);
  return true;
}
