/**
 * Which local days a catalog snapshot has published — ONE rule for every layer: the batch layer's
 * watermark (written into each snapshot), the serving layer's merge (an interval whose local day is
 * published is answered by the batch views), billing's final periods, and the speed layer's
 * retention (a held day may go once THAT day is published).
 *
 * A local day D is published when every daily view (DAILY_VIEWS) has the partition date=D and every
 * monthly view (MONTHLY_VIEWS) has the partition of D's month; a day rebuild publishes all of them
 * in one catalog commit. Published days need not be contiguous: a late read for an old day publishes
 * that day alone, a failed build leaves a gap. `runs` are the maximal runs of consecutive published
 * days.
 *
 * Which side answers a day (`isBatchDay`): the batch layer for a published day and for any day
 * before the first published day (nothing was ever published there, so the batch's answer is "no
 * data", as it always was); the realtime view for every other day — an unpublished day inside the
 * published range (a gap) or after it. Pure; `publishedDaysOf` computes the set once per (frozen)
 * snapshot object.
 */
import { localDaysBetween, localMonthOfDate } from '../time/index.ts';
import { DAILY_VIEWS, MONTHLY_VIEWS, datePartition, monthPartition } from './layout.ts';
import type { CatalogSnapshot, ViewEntry } from './schema.ts';

/** A maximal run of consecutive published local days, `first` ≤ `last` (inclusive). */
export interface PublishedRun {
  readonly first: string;
  readonly last: string;
}

/** The published local days of one snapshot. */
export interface PublishedDays {
  /** Published local dates, ascending, no duplicates. */
  readonly days: readonly string[];
  /** Maximal runs of consecutive published days, ascending; empty when nothing is published. */
  readonly runs: readonly PublishedRun[];
  /** The first published day, or null when nothing is published. */
  readonly first: string | null;
  /** Whether local date `date` ('YYYY-MM-DD') is published. (A plain function: safe to pass on.) */
  readonly has: (date: string) => boolean;
  /**
   * Whether the batch layer answers local date `date`: it is published, or it lies before the first
   * published day. False for every day when nothing is published. (A plain function: safe to pass on.)
   */
  readonly isBatchDay: (date: string) => boolean;
}

/** Local days for which every view of the day is published (the module's rule), ascending. */
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

/** The maximal runs of consecutive days of `days` (valid local dates, any order, duplicates allowed). */
export function publishedRuns(days: Iterable<string>): PublishedRun[] {
  const sorted = [...new Set(days)].sort();
  const runs: PublishedRun[] = [];
  let first: string | undefined;
  let prev = '';
  for (const d of sorted) {
    // localDaysBetween validates both dates (RangeError for an invalid one)
    if (first === undefined) {
      localDaysBetween(d, d);
      first = d;
    } else if (localDaysBetween(prev, d) !== 1) {
      runs.push({ first, last: prev });
      first = d;
    }
    prev = d;
  }
  if (first !== undefined) runs.push({ first, last: prev });
  return runs;
}

/** PublishedDays of a list of days (valid local dates, any order, duplicates allowed). */
export function publishedDaysFrom(days: Iterable<string>): PublishedDays {
  const sorted = [...new Set(days)].sort();
  const set = new Set(sorted);
  const first = sorted[0] ?? null;
  return Object.freeze({
    days: Object.freeze(sorted),
    runs: Object.freeze(publishedRuns(sorted)),
    first,
    has: (date: string) => set.has(date),
    isBatchDay: (date: string) => first !== null && (date < first || set.has(date)),
  });
}

const NONE: PublishedDays = publishedDaysFrom([]);
const bySnapshot = new WeakMap<CatalogSnapshot, PublishedDays>();

/**
 * The published days of a snapshot (none for null). Snapshots are immutable (the reader deep-freezes
 * them), so the result is computed once per snapshot object and shared by every pin of it.
 */
export function publishedDaysOf(snapshot: CatalogSnapshot | null): PublishedDays {
  if (snapshot === null) return NONE;
  let p = bySnapshot.get(snapshot);
  if (p === undefined) {
    p = publishedDaysFrom(publishedDays(snapshot.views));
    bySnapshot.set(snapshot, p);
  }
  return p;
}
