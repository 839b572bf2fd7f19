/**
 * Retention of the realtime view (SPEC 4), as a pure decision: which local dates of one partition
 * to drop now.
 *  - Covered: the batch layer answers THAT day — it is published, or it lies before the first
 *    published day (`PublishedDays.isBatchDay` of @ami/shared/catalog, the rule the serving merge
 *    uses) — and the grace period has passed since the sweep first saw it covered, so readers that
 *    pinned an older catalog can still merge with it. An unpublished day before the watermark (a
 *    gap, e.g. around an old day a late read published alone) is not covered: the serving layer
 *    answers it from the realtime view. Given only a watermark, a day is covered when it ends at or
 *    before it.
 *  - Hard cap: a day more than `hardCapDays` local days before the day of the partition's
 *    watermark is dropped even when the batch has not covered it (the batch is stalled), so memory
 *    stays bounded; such drops are "uncovered" and get logged and counted. The cap is the same rule
 *    as the consumer's isBeyondRetention, so reads the consumer still applies are never of a
 *    dropped day.
 * Drops are always a prefix of the sorted dates (the scan stops at the first date neither rule
 * drops, so an uncovered gap day holds back every later one until it is published or capped), and
 * one `retainFrom` date per partition describes what is gone.
 */
import { addLocalDays, localDate, localDayBounds } from '@ami/shared/time';

export interface RetentionPolicy {
  readonly graceMs: number;
  readonly hardCapDays: number;
  readonly timeZone: string;
}

export interface RetentionInput {
  /** Local dates present in the partition, any order. */
  readonly dates: readonly string[];
  /** The batch watermark (end of the run holding the latest published day), null when unknown. */
  readonly batchWatermarkMs: number | null;
  /**
   * Whether the batch layer answers a local day (published, or before the first published day:
   * `PublishedDays.isBatchDay`). Absent: every day ending at or before `batchWatermarkMs`.
   */
  readonly isBatchDay?: (date: string) => boolean;
  /** When the sweep first saw each date covered by the batch. */
  readonly coveredSinceMs: ReadonlyMap<string, number>;
  /** The partition's event-time watermark (-Infinity when it has seen nothing). */
  readonly partitionWatermarkMs: number;
  readonly nowMs: number;
}

export interface RetentionDecision {
  /** Dates to drop, oldest first, and whether the batch layer covers each. */
  readonly drop: readonly { readonly date: string; readonly covered: boolean }[];
  /** The partition's new retainFrom (the day after the newest dropped date), or undefined. */
  readonly retainFrom: string | undefined;
  /** Dates covered by the batch that have no coveredSince yet (record them at nowMs). */
  readonly newlyCovered: readonly string[];
}

/**
 * Whether the batch layer covers `date`: `isBatchDay(date)` when given (that day is published, or
 * before the first published day), else the watermark is at or after the day's end.
 */
export function isCoveredByBatch(
  date: string,
  batchWatermarkMs: number | null,
  timeZone: string,
  isBatchDay?: (date: string) => boolean,
): boolean {
  if (isBatchDay !== undefined) return isBatchDay(date);
  return batchWatermarkMs !== null && localDayBounds(date, timeZone).endMs <= batchWatermarkMs;
}

/** The oldest local date the hard cap keeps, or undefined while the partition has no watermark. */
export function hardCapOldestDate(
  partitionWatermarkMs: number,
  policy: Pick<RetentionPolicy, 'hardCapDays' | 'timeZone'>,
): string | undefined {
  if (!Number.isFinite(partitionWatermarkMs)) return undefined;
  return addLocalDays(localDate(partitionWatermarkMs, policy.timeZone), -policy.hardCapDays);
}

export function decideRetention(input: RetentionInput, policy: RetentionPolicy): RetentionDecision {
  const dates = [...new Set(input.dates)].sort();
  const oldestKept = hardCapOldestDate(input.partitionWatermarkMs, policy);
  const drop: { date: string; covered: boolean }[] = [];
  const covers = (d: string) =>
    isCoveredByBatch(d, input.batchWatermarkMs, policy.timeZone, input.isBatchDay);
  const newlyCovered = dates.filter((d) => !input.coveredSinceMs.has(d) && covers(d));
  for (const date of dates) {
    const covered = covers(date);
    const since = input.coveredSinceMs.get(date);
    const graceOver = covered && since !== undefined && input.nowMs - since >= policy.graceMs;
    const capped = oldestKept !== undefined && date < oldestKept;
    if (!graceOver && !capped) break;
    drop.push({ date, covered });
  }
  const newest = drop[drop.length - 1];
  return {
    drop,
    retainFrom: newest === undefined ? undefined : addLocalDays(newest.date, 1),
    newlyCovered,
  };
}
