/**
 * The batch watermark (SPEC 5): the end of the last contiguous authoritative local day.
 *
 * A local day D counts as published when every daily view has partition date=D and every monthly
 * view has the partition of D's month (a day rebuild publishes all of them in one commit). From the
 * first published day, days are followed while they are consecutive; the watermark is the start of
 * the local day after the last one of that run (an instant, so 23- and 25-hour DST days come out
 * right). Gaps after the run do not count until they are filled. Pure functions.
 */
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  datePartition,
  monthPartition,
  type ViewEntry,
} from '@ami/shared/catalog';
import { addLocalDays, isValidLocalDate, localDayBounds, localMonthOfDate } from '@ami/shared/time';

export interface Watermark {
  /** Start of the local day after `lastContiguousDay`, epoch ms; null when no day is published. */
  readonly watermarkMs: number | null;
  readonly firstPublishedDay: string | null;
  readonly lastContiguousDay: string | null;
}

/** Local days for which every view of the day is published, sorted. */
export function publishedDays(views: Readonly<Record<string, ViewEntry | undefined>>): string[] {
  const first = DAILY_VIEWS[0];
  if (first === undefined) return [];
  const candidates = Object.keys(views[first]?.partitions ?? {})
    .filter((id) => id.startsWith('date='))
    .map((id) => id.slice(5));
  return candidates
    .filter(
      (d) =>
        DAILY_VIEWS.every((v) => views[v]?.partitions[datePartition(d)] !== undefined) &&
        MONTHLY_VIEWS.every((v) => views[v]?.partitions[monthPartition(localMonthOfDate(d))] !== undefined),
    )
    .sort();
}

/** Watermark of a set of published local days (any order, duplicates allowed) in `timeZone`. */
export function computeWatermark(days: Iterable<string>, timeZone: string): Watermark {
  const set = new Set<string>();
  for (const d of days) {
    if (!isValidLocalDate(d)) throw new RangeError(`invalid local date: ${JSON.stringify(d)}`);
    set.add(d);
  }
  if (set.size === 0) return { watermarkMs: null, firstPublishedDay: null, lastContiguousDay: null };
  const sorted = [...set].sort();
  const firstPublishedDay = sorted[0] as string;
  let last = firstPublishedDay;
  while (set.has(addLocalDays(last, 1))) last = addLocalDays(last, 1);
  return { watermarkMs: localDayBounds(last, timeZone).endMs, firstPublishedDay, lastContiguousDay: last };
}
