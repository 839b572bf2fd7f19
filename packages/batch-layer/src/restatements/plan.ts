/**
 * Which restatement notices a catalog snapshot implies (pure): compare the snapshot with its parent;
 * every (view, partition) that existed in the parent and whose version changed (republished, rolled
 * back or removed) is restated. One notice per (view, local date):
 *
 * - `date=D` partitions name D.
 * - `month=M` partitions (meter_monthly, billing_determinants: month to date) name the dates of M
 *   whose daily partitions were restated in the same snapshot. When the snapshot only added new
 *   days to the month (daily partitions of M published for the first time, none restated), the
 *   month partition changed because it grew, not because a published day changed: no notice.
 *   When no daily partition of M changed at all (e.g. a rollback of the monthly view alone), the
 *   month's first date is named so the month is still announced.
 *
 * A removed partition's new version is the snapshot's version (the catalog version without it).
 * The cause is the snapshot's when it is a restatement cause; any other cause (a scheduled build that
 * found different inputs) is reported as 'late_data'.
 */
import {
  DAILY_VIEWS,
  parsePartition,
  versionOf,
  type CatalogFile,
  type CatalogSnapshot,
  type PartitionId,
} from '@ami/shared/catalog';
import { RESTATEMENT_CAUSES, type RestatementCause, type ViewName } from '@ami/shared/contracts';
import { localDatesOfMonth, localMonthOfDate, parseIsoInstant } from '@ami/shared/time';

/** One restated (view, partition) with the files of both versions (new: [] when removed). */
export interface RestatedPartition {
  readonly view: ViewName;
  readonly partition: PartitionId;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly oldFiles: readonly CatalogFile[];
  readonly newFiles: readonly CatalogFile[];
}

export interface PlannedNotice {
  readonly view: ViewName;
  readonly localDate: string;
  /** The partition whose rows are compared for the affected service points. */
  readonly restated: RestatedPartition;
}

export interface SnapshotRestatements {
  readonly seq: number;
  readonly cause: RestatementCause;
  readonly publishedAtMs: number;
  readonly partitions: readonly RestatedPartition[];
  readonly notices: readonly PlannedNotice[];
}

export function restatementCause(snapshotCause: string): RestatementCause {
  return (RESTATEMENT_CAUSES as readonly string[]).includes(snapshotCause)
    ? (snapshotCause as RestatementCause)
    : 'late_data';
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Restated partitions of `next` relative to its parent `prev`, sorted by view then partition. */
export function restatedPartitions(prev: CatalogSnapshot, next: CatalogSnapshot): RestatedPartition[] {
  const out: RestatedPartition[] = [];
  for (const [view, before] of Object.entries(prev.views)) {
    const after = next.views[view]?.partitions ?? {};
    for (const [partition, old] of Object.entries(before.partitions)) {
      const now = after[partition];
      if (now && now.version === old.version) continue;
      out.push({
        view: view as ViewName,
        partition,
        oldVersion: old.version,
        newVersion: now?.version ?? versionOf(next.seq),
        oldFiles: old.files,
        newFiles: now?.files ?? [],
      });
    }
  }
  return out.sort((a, b) => cmp(a.view, b.view) || cmp(a.partition, b.partition));
}

/** Daily partitions of `next` published for the first time (absent in `prev`). */
function firstPublishedDates(prev: CatalogSnapshot, next: CatalogSnapshot): Set<string> {
  const dates = new Set<string>();
  for (const view of DAILY_VIEWS) {
    const before = prev.views[view]?.partitions ?? {};
    for (const partition of Object.keys(next.views[view]?.partitions ?? {}))
      if (!(partition in before)) dates.add(parsePartition(partition).value);
  }
  return dates;
}

/** The notices snapshot `next` implies, given its parent `prev`. */
export function planRestatements(prev: CatalogSnapshot, next: CatalogSnapshot): SnapshotRestatements {
  const partitions = restatedPartitions(prev, next);
  const restatedDates = new Set<string>();
  for (const p of partitions) {
    const parsed = parsePartition(p.partition);
    if (parsed.kind === 'date') restatedDates.add(parsed.value);
  }
  const newDates = firstPublishedDates(prev, next);
  const notices: PlannedNotice[] = [];
  for (const p of partitions) {
    const parsed = parsePartition(p.partition);
    if (parsed.kind === 'date') {
      notices.push({ view: p.view, localDate: parsed.value, restated: p });
      continue;
    }
    const month = parsed.value;
    const restatedInMonth = [...restatedDates].filter((d) => localMonthOfDate(d) === month).sort();
    const grewOnly = restatedInMonth.length === 0 && [...newDates].some((d) => localMonthOfDate(d) === month);
    if (grewOnly) continue;
    const dates = restatedInMonth.length > 0 ? restatedInMonth : [localDatesOfMonth(month)[0] as string];
    for (const localDate of dates) notices.push({ view: p.view, localDate, restated: p });
  }
  return {
    seq: next.seq,
    cause: restatementCause(next.cause),
    publishedAtMs: parseIsoInstant(next.committedAt),
    partitions,
    notices,
  };
}
