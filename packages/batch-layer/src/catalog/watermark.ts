/**
 * The batch watermark (SPEC 5), written into every catalog snapshot: the end of the run of
 * consecutive published local days that holds the LATEST published day.
 *
 * Which days are published is the one rule of @ami/shared/catalog (`publishedDays`: every daily view
 * has date=D and every monthly view D's month). Published days need not be contiguous (a late read
 * for an old day publishes that day alone; a failed build leaves a gap), so the watermark is taken
 * from the newest run: the start of the local day after its last day (an instant, so 23- and
 * 25-hour DST days come out right). Publishing a day before, inside or after the published range
 * therefore only ever keeps the watermark or moves it forward — an isolated old day never pulls it
 * back — and no published day lies after it. Days before it need not all be published: readers
 * decide per local day (`PinnedCatalog.isDayPublished`), not by the watermark alone. Removing
 * partitions (a rollback) can move it back. Pure functions.
 */
import { publishedDays, publishedRuns } from '@ami/shared/catalog';
import { isValidLocalDate, localDayBounds } from '@ami/shared/time';

export { publishedDays };

export interface Watermark {
  /** Start of the local day after `lastContiguousDay`, epoch ms; null when no day is published. */
  readonly watermarkMs: number | null;
  /** First day of the run of consecutive published days that holds the latest published day. */
  readonly firstPublishedDay: string | null;
  /** Last day of that run: the latest published day. */
  readonly lastContiguousDay: string | null;
}

/** Watermark of a set of published local days (any order, duplicates allowed) in `timeZone`. */
export function computeWatermark(days: Iterable<string>, timeZone: string): Watermark {
  const list = [...days];
  for (const d of list)
    if (!isValidLocalDate(d)) throw new RangeError(`invalid local date: ${JSON.stringify(d)}`);
  const runs = publishedRuns(list);
  const newest = runs[runs.length - 1];
  if (newest === undefined) return { watermarkMs: null, firstPublishedDay: null, lastContiguousDay: null };
  return {
    watermarkMs: localDayBounds(newest.last, timeZone).endMs,
    firstPublishedDay: newest.first,
    lastContiguousDay: newest.last,
  };
}
