/**
 * The `build-day` job: rebuild and publish one local day with the injected DayBuilder.
 *
 * Order matters for late data: take the per-day lock, read the day's dirty stamp, build, then clear
 * the mark only if its stamp is unchanged — a mark that arrived during the build raised the stamp
 * and survives for the next sweep. When another build of the day holds the lock, the job is moved
 * back to delayed (not counted as an attempt) and tried again after AMI_BATCH_DAY_LOCK_RETRY_MS.
 *
 * Before the lock (a wait for the archiver must neither hold the day's lock nor outlive its lease),
 * every build but a late-data sweep's passes the archive gate (archive-gate.ts): what the archiver
 * consumed before the build was requested is in the master dataset — it is asked to flush at once —
 * or the job fails naming the lagging partitions. A rebuild or backfill never publishes what is not
 * archived yet. A sweep's day was marked dirty by a flush (what it waits for is archived), and a
 * forced flush every sweep would defeat the flush age. The result states how many reads the build
 * found in the master dataset.
 */
import { DelayedError, type Job } from 'bullmq';
import type { DirtyDays } from '../archiver/dirty-days.ts';
import type { DayBuilder, DayBuildStats, RebuildPhase } from '../rebuild/types.ts';
import type { ArchiveCheck } from './archive-gate.ts';
import type { DayLocks } from './day-lock.ts';
import { parseJobData } from './definitions.ts';

/** What a build-day job stores as its progress. */
export interface BuildDayProgress {
  readonly phase: RebuildPhase;
  readonly fraction: number;
}

/** What a build-day job returns (kept small: it is stored in Redis with the job). */
export interface BuildDaySummary {
  readonly date: string;
  readonly cause: string;
  readonly committed: boolean;
  readonly version: string | null;
  readonly watermark: string | null;
  /** Interval reads of the day found in the master dataset (before dedupe; stats.rawIntervals). */
  readonly reads: number;
  /** The archive gate: what the build waited for (null: not checked — a sweep, or the gate is off). */
  readonly archive: ArchiveCheck | null;
  /** Changed (view, partition)s. */
  readonly changes: number;
  /** Changes of partitions that had been published before (restatements). */
  readonly restated: number;
  /** Stamp of the dirty mark seen before the build (null: the day was not dirty). */
  readonly dirtyStamp: number | null;
  /** True when the mark was cleared; false when a newer mark arrived during the build. */
  readonly dirtyCleared: boolean;
  readonly stats: DayBuildStats;
}

export interface BuildDayDeps {
  readonly builder: DayBuilder;
  readonly dirtyDays: DirtyDays;
  readonly locks: DayLocks;
  readonly lockRetryMs: number;
  readonly now: () => number;
  /** The archive gate (absent: builds do not wait for the archiver). */
  readonly archiveGate?: ArchiveGateLike;
}

/** What a build needs of the archive gate (ArchiveGate). */
export interface ArchiveGateLike {
  ensureArchived(date: string, requestedAtMs: number): Promise<ArchiveCheck | null>;
}

/**
 * When the build was requested, for the gate: a backfill child's creation (the whole backfill was
 * requested then, so one passed check covers all its days); any other build is checked afresh (a
 * request deduplicated into a waiting job is newer than the job).
 */
function requestedAt(job: Job): number {
  return job.parent !== undefined ? job.timestamp : Number.POSITIVE_INFINITY;
}

export async function processBuildDay(
  job: Job,
  token: string | undefined,
  deps: BuildDayDeps,
): Promise<BuildDaySummary> {
  const { date, cause } = parseJobData('build-day', job.data);
  const archive =
    cause === 'late_data' || deps.archiveGate === undefined
      ? null
      : await deps.archiveGate.ensureArchived(date, requestedAt(job));
  const lock = await deps.locks.tryAcquire(date, `${job.id ?? '?'}/${token ?? '?'}`);
  if (lock === null) {
    await job.moveToDelayed(deps.now() + deps.lockRetryMs, token);
    throw new DelayedError(`another build of ${date} is running`);
  }
  try {
    const stamp = (await deps.dirtyDays.listDirty()).find((d) => d.date === date)?.markedAtMs ?? null;
    // onProgress is synchronous: chain the Redis writes in order and await them before returning
    let progress: Promise<void> = Promise.resolve();
    const result = await deps.builder.buildDay({
      date,
      cause,
      onProgress: (phase, fraction) => {
        const p: BuildDayProgress = { phase, fraction };
        progress = progress.then(() => job.updateProgress(p)).catch(() => undefined);
      },
    });
    await progress;
    const dirtyCleared = stamp === null ? false : await deps.dirtyDays.clearDirtyIfUnchanged(date, stamp);
    return {
      date,
      cause,
      committed: result.committed,
      version: result.version,
      watermark: result.watermark,
      reads: result.stats.rawIntervals,
      archive,
      changes: result.changes.length,
      restated: result.changes.filter((c) => c.oldVersion !== null).length,
      dirtyStamp: stamp,
      dirtyCleared,
      stats: result.stats,
    };
  } finally {
    await lock.release();
  }
}
