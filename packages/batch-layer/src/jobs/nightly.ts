/**
 * The `nightly` job: enqueue the build of local "yesterday" (in AMI_TIMEZONE) as a build-day job.
 *
 * Cause: the restatement causes are fixed (late_data | edit | backfill | rollback). The nightly
 * first build of a day is recorded as `backfill` (a scheduled build from the master dataset, like a
 * one-day backfill); `late_data` is kept for sweep rebuilds of days that received data after their
 * build, so a restatement notice's cause says why a published day changed.
 * Job id token `n`: one nightly build per date (a second trigger for the same date is a no-op while
 * the first is kept); a manual rerun goes through BatchJobs.enqueueRebuild.
 */
import type { Queue } from 'bullmq';
import { addLocalDays, localDate } from '@ami/shared/time';
import { enqueueBuildDay, type EnqueueResult } from './enqueue.ts';
import type { BatchJobSettings } from './settings.ts';

/** Pure: the local date before the one `nowMs` falls on. */
export function localYesterday(nowMs: number, timeZone: string): string {
  return addLocalDays(localDate(nowMs, timeZone), -1);
}

export interface NightlyDeps {
  readonly queue: Queue;
  readonly settings: BatchJobSettings;
  readonly timeZone: string;
  readonly now: () => number;
}

export interface NightlySummary extends EnqueueResult {
  readonly date: string;
}

export async function processNightly(deps: NightlyDeps): Promise<NightlySummary> {
  const date = localYesterday(deps.now(), deps.timeZone);
  const r = await enqueueBuildDay(deps.queue, deps.settings, { date, cause: 'backfill' }, 'n');
  return { date, ...r };
}
