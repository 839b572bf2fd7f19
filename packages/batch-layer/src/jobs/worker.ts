/**
 * The batch worker: one BullMQ Worker on the batch queue running the jobs of definitions.ts with an
 * injected DayBuilder (and optionally the restatement relay and reconciliation, enqueued after every
 * committed build), plus a Queue handle for the jobs that enqueue others.
 *
 * Retries: a throwing build is retried (attempts, exponential backoff from the job's options); a
 * bad payload throws UnrecoverableError and fails at once. Stalled jobs (the worker died or its
 * event loop stalled past the lock) are moved back to wait by any live worker every
 * AMI_BATCH_STALLED_INTERVAL_MS, at most AMI_BATCH_MAX_STALLED_COUNT times.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '@ami/shared/clients';
import type { Logger } from '@ami/shared/log';
import type { DirtyDays } from '../archiver/dirty-days.ts';
import type { DayBuilder } from '../rebuild/types.ts';
import { processBackfill, refreshParentProgress } from './backfill.ts';
import { processBuildDay, type ArchiveGateLike, type BuildDaySummary } from './build-day.ts';
import { retentionOptions, retryOptions } from './enqueue.ts';
import { DayLocks } from './day-lock.ts';
import { isBatchJobName, parseJobData, reconcileJobId, relayJobId } from './definitions.ts';
import { processNightly } from './nightly.ts';
import type { BatchJobSettings } from './settings.ts';
import { processSweep } from './sweep.ts';

export interface BatchWorkerDeps {
  /** BullMQ connection: an ioredis client with maxRetriesPerRequest null (createRedis forBullMQ). */
  readonly connection: RedisClient;
  readonly builder: DayBuilder;
  readonly dirtyDays: DirtyDays;
  readonly settings: BatchJobSettings;
  /** AMI_TIMEZONE. */
  readonly timeZone: string;
  readonly logger?: Logger;
  /** Clock (tests pin it); defaults to Date.now. */
  readonly now?: () => number;
  /** Start processing at once (default true). */
  readonly autorun?: boolean;
  /** Restatement relay (relay-restatements jobs); absent = those jobs fail as unconfigured. */
  readonly relay?: {
    relayOnce(): Promise<{ snapshots: number; notices: readonly unknown[]; cursor: number }>;
  };
  /** The archive gate of builds (archive-gate.ts); absent = builds do not wait for the archiver. */
  readonly archiveGate?: ArchiveGateLike;
  /** Reconciliation of a day (reconcile jobs); absent = not enqueued after builds. */
  readonly reconcile?: (date: string) => Promise<{ readonly transformers: readonly unknown[] }>;
}

export interface BatchWorker {
  readonly worker: Worker;
  readonly queue: Queue;
  readonly locks: DayLocks;
  /** Waits for running jobs, then closes the worker and the queue handle (not the connection). */
  close(): Promise<void>;
}

/** Redis key prefix of the per-day build locks of this queue. */
export function dayLockPrefix(settings: BatchJobSettings): string {
  return `${settings.keyPrefix}:${settings.queue}`;
}

export function createBatchWorker(deps: BatchWorkerDeps): BatchWorker {
  const { settings, connection } = deps;
  const now = deps.now ?? Date.now;
  const queue = new Queue(settings.queue, { connection, prefix: settings.keyPrefix });
  const locks = new DayLocks(connection, dayLockPrefix(settings), settings.lockDurationMs);

  const processor = async (job: Job, token?: string): Promise<unknown> => {
    if (!isBatchJobName(job.name)) throw new UnrecoverableError(`unknown batch job name: ${job.name}`);
    switch (job.name) {
      case 'build-day': {
        const summary = await processBuildDay(job, token, {
          builder: deps.builder,
          dirtyDays: deps.dirtyDays,
          locks,
          lockRetryMs: settings.dayLockRetryMs,
          now,
          ...(deps.archiveGate ? { archiveGate: deps.archiveGate } : {}),
        });
        await queueFollowUps(queue, deps, summary);
        return summary;
      }
      case 'sweep-dirty':
        parseJobData('sweep-dirty', job.data);
        return processSweep({ queue, dirtyDays: deps.dirtyDays, settings, timeZone: deps.timeZone, now });
      case 'nightly':
        parseJobData('nightly', job.data);
        return processNightly({ queue, settings, timeZone: deps.timeZone, now });
      case 'backfill':
        return processBackfill(job);
      case 'relay-restatements': {
        parseJobData('relay-restatements', job.data);
        if (!deps.relay) throw new UnrecoverableError('this worker has no restatement relay configured');
        const r = await deps.relay.relayOnce();
        return { snapshots: r.snapshots, notices: r.notices.length, cursor: r.cursor };
      }
      case 'reconcile': {
        const { date } = parseJobData('reconcile', job.data);
        if (!deps.reconcile) throw new UnrecoverableError('this worker has no reconciliation configured');
        const report = await deps.reconcile(date);
        return { date, transformers: report.transformers.length };
      }
    }
  };

  const worker = new Worker(settings.queue, processor, {
    connection,
    prefix: settings.keyPrefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
    autorun: deps.autorun ?? true,
  });

  watchWorker(worker, queue, deps.logger);

  return {
    worker,
    queue,
    locks,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}

/** After a committed build: relay its restatements and reconcile the day (idempotent job ids). */
async function queueFollowUps(queue: Queue, deps: BatchWorkerDeps, summary: BuildDaySummary): Promise<void> {
  if (!summary.committed || summary.version === null) return;
  const opts = { ...retryOptions(deps.settings), ...retentionOptions(deps.settings) };
  if (deps.relay) await queue.add('relay-restatements', {}, { ...opts, jobId: relayJobId(summary.version) });
  if (deps.reconcile)
    await queue.add(
      'reconcile',
      { date: summary.date },
      { ...opts, jobId: reconcileJobId(summary.date, summary.version) },
    );
}

/** A finished child job updates its parent's progress (errors logged); worker errors are logged. */
function watchWorker(worker: Worker, queue: Queue, log: BatchWorkerDeps['logger']): void {
  const onChildFinished = (job: Job | undefined) => {
    if (!job?.parent) return;
    refreshParentProgress(queue, job).catch((err: unknown) =>
      log?.warn({ err, jobId: job.id }, 'could not update the parent progress'),
    );
  };
  worker.on('completed', (job) => onChildFinished(job));
  worker.on('failed', (job) => onChildFinished(job));
  worker.on('error', (err) => log?.error({ err }, 'batch worker error'));
}
