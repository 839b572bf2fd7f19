/**
 * The `sweep-dirty` job (late data): enqueue a build-day job (cause `late_data`) for each dirty day
 * that is closed, oldest date first (an unpublished gap day is only provisional until built), at most
 * AMI_BATCH_SWEEP_CAP per sweep; the rest wait for the next sweep.
 *
 * A day is closed when its local end plus AMI_BATCH_SWEEP_CLOSE_DELAY_S has passed: the open day
 * (and, by default, yesterday until after the nightly build) is never published by a sweep.
 * Job ids carry the mark's stamp, so a repeated or racing sweep of the same marks adds nothing, and
 * a day whose build for that stamp failed is left to the operator (or to newer data) instead of
 * failing again every sweep.
 */
import type { Queue } from 'bullmq';
import type { DirtyDay, DirtyDays } from '../archiver/dirty-days.ts';
import { localDayBounds } from '@ami/shared/time';
import { buildDayJobId } from './definitions.ts';
import { enqueueBuildDay } from './enqueue.ts';
import type { BatchJobSettings } from './settings.ts';

export interface SweepPlan {
  /** Days to enqueue, dates ascending, at most `cap`. */
  readonly days: readonly DirtyDay[];
  /** Closed dirty days left for a later sweep by the cap. */
  readonly deferred: number;
  /** Dirty days not closed yet. */
  readonly open: number;
}

/** Pure: which dirty days one sweep enqueues. */
export function planSweep(
  dirty: readonly DirtyDay[],
  nowMs: number,
  timeZone: string,
  closeDelayMs: number,
  cap: number,
): SweepPlan {
  const closed = dirty
    .filter((d) => localDayBounds(d.date, timeZone).endMs + closeDelayMs <= nowMs)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return {
    days: closed.slice(0, cap),
    deferred: Math.max(0, closed.length - cap),
    open: dirty.length - closed.length,
  };
}

export interface SweepSummary {
  readonly dirty: number;
  readonly open: number;
  readonly deferred: number;
  /** Ids of the jobs added by this sweep. */
  readonly enqueued: readonly string[];
  /** Days already covered by a queued, running or finished job for the same mark. */
  readonly alreadyQueued: readonly string[];
  /** Days whose build for the current mark failed (not retried by the sweep). */
  readonly failed: readonly string[];
}

export interface SweepDeps {
  readonly queue: Queue;
  readonly dirtyDays: DirtyDays;
  readonly settings: BatchJobSettings;
  readonly timeZone: string;
  readonly now: () => number;
}

export function sweepToken(day: DirtyDay): string {
  return `m${day.markedAtMs}`;
}

export async function processSweep(deps: SweepDeps): Promise<SweepSummary> {
  const dirty = await deps.dirtyDays.listDirty();
  const plan = planSweep(
    dirty,
    deps.now(),
    deps.timeZone,
    deps.settings.sweepCloseDelayS * 1000,
    deps.settings.sweepCap,
  );
  const enqueued: string[] = [];
  const alreadyQueued: string[] = [];
  const failed: string[] = [];
  for (const day of plan.days) {
    const data = { date: day.date, cause: 'late_data' as const };
    const existing = await deps.queue.getJob(buildDayJobId(data, sweepToken(day)));
    if (existing && (await existing.getState()) === 'failed') {
      failed.push(day.date);
      continue;
    }
    const r = await enqueueBuildDay(deps.queue, deps.settings, data, sweepToken(day));
    if (r.added) enqueued.push(r.id);
    else alreadyQueued.push(day.date);
  }
  return { dirty: dirty.length, open: plan.open, deferred: plan.deferred, enqueued, alreadyQueued, failed };
}
