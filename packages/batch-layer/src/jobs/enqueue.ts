/**
 * Adding build-day jobs with the queue's retry, retention and idempotency options (ids and
 * deduplication as described in definitions.ts). Used by the sweep, the nightly job and the client.
 */
import type { JobsOptions, Queue } from 'bullmq';
import { buildDayDedupId, buildDayJobId, type BuildDayData } from './definitions.ts';
import type { BatchJobSettings } from './settings.ts';

/** Attempts and exponential backoff of every retried job. */
export function retryOptions(settings: BatchJobSettings): Pick<JobsOptions, 'attempts' | 'backoff'> {
  return { attempts: settings.attempts, backoff: { type: 'exponential', delay: settings.backoffMs } };
}

/** How long finished jobs stay queryable (and keep their ids taken). */
export function retentionOptions(
  settings: BatchJobSettings,
): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  return {
    removeOnComplete: { age: settings.keepCompletedS },
    removeOnFail: { age: settings.keepFailedS },
  };
}

export interface EnqueueResult {
  /** The job that covers the request: the new one, or the existing one it was deduplicated into. */
  readonly id: string;
  /** The id this request asked for. */
  readonly requestedId: string;
  /** False when the request was a no-op: the id existed, or a build of the day was already queued. */
  readonly added: boolean;
}

/**
 * Adds a standalone build-day job. A no-op (added=false) when a job with the same id exists (same
 * request) or another build of the day is waiting; when one is running, BullMQ keeps this one and
 * enqueues it under `requestedId` when the running one finishes (keepLastIfActive).
 */
export async function enqueueBuildDay(
  queue: Queue,
  settings: BatchJobSettings,
  data: BuildDayData,
  token: string,
): Promise<EnqueueResult> {
  const requestedId = buildDayJobId(data, token);
  if (await queue.getJob(requestedId)) return { id: requestedId, requestedId, added: false };
  const job = await queue.add('build-day', data, {
    jobId: requestedId,
    deduplication: { id: buildDayDedupId(data.date), keepLastIfActive: true },
    ...retryOptions(settings),
    ...retentionOptions(settings),
  });
  const id = job.id ?? requestedId;
  return { id, requestedId, added: id === requestedId };
}
