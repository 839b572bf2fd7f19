/**
 * The `build-day` job: rebuild and publish one local day with the injected DayBuilder.
 *
 * Order matters for late data: take the per-day lock, read the day's dirty stamp, build, then clear
 * the mark only if its stamp is unchanged — a mark that arrived during the build raised the stamp
 * and survives for the next sweep. When another build of the day holds the lock, the job is moved
 * back to delayed (not counted as an attempt) and tried again after AMI_BATCH_DAY_LOCK_RETRY_MS.
 */
import { DelayedError, type Job } from 'bullmq';
import type { DirtyDays } from '../archiver/dirty-days.ts';
import type { DayBuilder, DayBuildStats, RebuildPhase } from '../rebuild/types.ts';
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
}

export async function processBuildDay(
  job: Job,
  token: string | undefined,
  deps: BuildDayDeps,
): Promise<BuildDaySummary> {
  const { date, cause } = parseJobData('build-day', job.data);
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
