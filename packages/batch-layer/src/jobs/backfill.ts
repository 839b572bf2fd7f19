/**
 * Backfill of a local date range: a `backfill` parent job (BullMQ FlowProducer) with one
 * `build-day` child (cause `backfill`) per local date in [from, to], both inclusive.
 *
 * Children fail independently (ignoreDependencyOnFailure): a day that fails after its retries is
 * recorded on the parent and the other days go on. Progress of the parent = finished children /
 * total, written on the parent by the worker whenever one of its children finishes (and computed
 * live by BatchJobs.getProgress); the parent's own processor runs once every child has finished and
 * fails (without retry) naming the failed days, or returns a summary with the reads its days found.
 */
import { Job, UnrecoverableError, type FlowProducer, type JobNode, type Queue } from 'bullmq';
import { isValidLocalDate, localDatesBetween, localDate } from '@ami/shared/time';
import { backfillJobId, buildDayJobId, parseJobData, type BackfillData } from './definitions.ts';
import { retentionOptions, retryOptions } from './enqueue.ts';
import type { BatchJobSettings } from './settings.ts';

/**
 * Pure: the dates of a backfill, validated — calendar dates, from ≤ to, at most `maxDays`, and
 * every day over (before the local date of `nowMs`), since a backfill publishes authoritative days.
 */
export function backfillDates(
  from: string,
  to: string,
  maxDays: number,
  nowMs: number,
  timeZone: string,
): string[] {
  for (const [k, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isValidLocalDate(v)) throw new RangeError(`backfill ${k} is not a local date YYYY-MM-DD: ${v}`);
  }
  if (to < from) throw new RangeError(`backfill range is empty: to ${to} is before from ${from}`);
  const today = localDate(nowMs, timeZone);
  if (to >= today)
    throw new RangeError(`backfill to ${to} is not over yet (today is ${today} in ${timeZone})`);
  const dates = localDatesBetween(from, to);
  if (dates.length > maxDays) {
    throw new RangeError(`backfill of ${dates.length} days exceeds AMI_BATCH_BACKFILL_MAX_DAYS=${maxDays}`);
  }
  return dates;
}

/** Progress stored on a backfill parent. */
export interface BackfillProgress {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
  /** (done + failed) / total. */
  readonly fraction: number;
}

export interface BackfillSummary {
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly built: number;
  /** Interval reads found in the master dataset over the built days (each child's `reads`). */
  readonly reads: number;
  /** Built days in which no read was found (was their history produced and archived?). */
  readonly daysWithoutReads: readonly string[];
}

/** Pure: the reads of a backfill's children (BuildDaySummary values; anything else is skipped). */
export function backfillReads(children: Readonly<Record<string, unknown>>): {
  reads: number;
  daysWithoutReads: string[];
} {
  let reads = 0;
  const empty: string[] = [];
  for (const v of Object.values(children)) {
    if (typeof v !== 'object' || v === null) continue;
    const { date, reads: n } = v as { date?: unknown; reads?: unknown };
    if (typeof n !== 'number' || typeof date !== 'string') continue;
    reads += n;
    if (n === 0) empty.push(date);
  }
  return { reads, daysWithoutReads: empty.sort() };
}

/** Adds the flow; returns the parent job id (the same for a repeated call with the same token). */
export async function addBackfillFlow(
  flows: FlowProducer,
  queueName: string,
  settings: BatchJobSettings,
  data: BackfillData,
  dates: readonly string[],
  token: string,
): Promise<string> {
  const parentId = backfillJobId(data, token);
  const node: JobNode = await flows.add({
    name: 'backfill',
    queueName,
    data,
    opts: { jobId: parentId, attempts: 1, ...retentionOptions(settings) },
    children: dates.map((date) => ({
      name: 'build-day',
      queueName,
      data: { date, cause: 'backfill' as const },
      opts: {
        jobId: buildDayJobId({ date, cause: 'backfill' }, `b${token}`),
        ignoreDependencyOnFailure: true,
        ...retryOptions(settings),
        ...retentionOptions(settings),
      },
    })),
  });
  return node.job.id ?? parentId;
}

/** Live child counts of a parent job. */
export async function childCounts(parent: Job): Promise<BackfillProgress> {
  const c = await parent.getDependenciesCount();
  const done = c.processed ?? 0;
  const failed = (c.failed ?? 0) + (c.ignored ?? 0);
  const total = done + failed + (c.unprocessed ?? 0);
  return { done, failed, total, fraction: total === 0 ? 1 : (done + failed) / total };
}

function storedFinished(progress: unknown): number {
  if (typeof progress !== 'object' || progress === null) return -1;
  const p = progress as Partial<BackfillProgress>;
  return typeof p.done === 'number' && typeof p.failed === 'number' ? p.done + p.failed : -1;
}

/**
 * After a child finished: write the parent's progress from its live counts. Two children finishing
 * at once may race; a write that would lower the stored count is skipped (best effort — the counts
 * themselves are the truth, and the parent's processor writes the final value).
 */
export async function refreshParentProgress(queue: Queue, child: Job): Promise<BackfillProgress | null> {
  const parentId = child.parent?.id;
  if (parentId === undefined || child.parent?.queueKey !== queue.qualifiedName) return null;
  const parent = await Job.fromId(queue, parentId);
  if (!parent) return null;
  const counts = await childCounts(parent);
  if (counts.done + counts.failed < storedFinished(parent.progress)) return counts;
  await parent.updateProgress(counts);
  return counts;
}

/** The parent's processor: runs when every child has finished. */
export async function processBackfill(job: Job): Promise<BackfillSummary> {
  const data = parseJobData('backfill', job.data);
  const counts = await childCounts(job);
  await job.updateProgress(counts);
  if (counts.failed > 0) {
    const failures = await job.getIgnoredChildrenFailures();
    const failedDays = Object.keys(failures)
      .map((key) => /build-day\.(\d{4}-\d{2}-\d{2})\./.exec(key)?.[1] ?? key)
      .sort();
    throw new UnrecoverableError(
      `backfill ${data.from}..${data.to}: ${counts.failed} of ${counts.total} days failed: ${failedDays.join(', ')}`,
    );
  }
  const totals = backfillReads(await job.getChildrenValues());
  return { from: data.from, to: data.to, days: counts.total, built: counts.done, ...totals };
}
