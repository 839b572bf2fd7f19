/**
 * Client of the batch queue for the CLI and the API: start a backfill or a rebuild, read a job's
 * progress, list recent jobs. Needs no worker in-process.
 */
import { FlowProducer, Queue, type Job, type JobState } from 'bullmq';
import type { RedisClient } from '@ami/shared/clients';
import { isValidLocalDate, localDate } from '@ami/shared/time';
import type { RestatementCause } from '@ami/shared/contracts';
import { addBackfillFlow, backfillDates, childCounts } from './backfill.ts';
import { assertToken, freshToken } from './definitions.ts';
import { enqueueBuildDay, type EnqueueResult } from './enqueue.ts';
import type { BatchJobSettings } from './settings.ts';

export interface JobProgressView {
  readonly id: string;
  readonly name: string;
  readonly state: JobState | 'unknown';
  /** 0..1: finished children / total for a backfill, the build's own fraction for a build-day. */
  readonly progress: number;
  /** Current rebuild phase of a build-day job, when it reported one. */
  readonly phase: string | null;
  /** Children of a backfill: done, failed (after retries), total. */
  readonly children: { readonly done: number; readonly failed: number; readonly total: number } | null;
  readonly data: unknown;
  readonly attemptsMade: number;
  readonly failedReason: string | null;
  readonly result: unknown;
  readonly createdAtMs: number;
  readonly finishedAtMs: number | null;
}

export interface BatchJobsOptions {
  readonly connection: RedisClient;
  readonly settings: BatchJobSettings;
  readonly timeZone: string;
  readonly now?: () => number;
}

const RECENT_STATES: JobState[] = [
  'active',
  'waiting',
  'waiting-children',
  'prioritized',
  'delayed',
  'completed',
  'failed',
];

function progressFraction(progress: unknown): { fraction: number; phase: string | null } {
  if (typeof progress === 'number') return { fraction: progress, phase: null };
  if (typeof progress === 'object' && progress !== null) {
    const p = progress as { fraction?: unknown; phase?: unknown };
    return {
      fraction: typeof p.fraction === 'number' ? p.fraction : 0,
      phase: typeof p.phase === 'string' ? p.phase : null,
    };
  }
  return { fraction: 0, phase: null };
}

export class BatchJobs {
  readonly queue: Queue;
  private flows: FlowProducer | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: BatchJobsOptions) {
    this.queue = new Queue(opts.settings.queue, {
      connection: opts.connection,
      prefix: opts.settings.keyPrefix,
    });
    this.now = opts.now ?? Date.now;
  }

  /**
   * Starts a backfill of [from, to] (local dates, inclusive); returns the parent job id. With the
   * same `token` a repeated call is a no-op returning the same id.
   */
  async enqueueBackfill(from: string, to: string, token?: string): Promise<string> {
    const { settings, timeZone, connection } = this.opts;
    const dates = backfillDates(from, to, settings.backfillMaxDays, this.now(), timeZone);
    this.flows ??= new FlowProducer({ connection, prefix: settings.keyPrefix });
    return addBackfillFlow(
      this.flows,
      settings.queue,
      settings,
      { from, to },
      dates,
      token === undefined ? freshToken(this.now()) : assertToken(token),
    );
  }

  /**
   * Requests a rebuild of one closed local day. `token` names the request (e.g. an edit id): the
   * same token again is a no-op; without one every call is a new request (deduplicated while a
   * build of the day is waiting, queued once behind a running one).
   */
  async enqueueRebuild(date: string, cause: RestatementCause, token?: string): Promise<EnqueueResult> {
    if (!isValidLocalDate(date)) throw new RangeError(`not a local date YYYY-MM-DD: ${date}`);
    const today = localDate(this.now(), this.opts.timeZone);
    if (date >= today)
      throw new RangeError(`${date} is not over yet (today is ${today} in ${this.opts.timeZone})`);
    return enqueueBuildDay(
      this.queue,
      this.opts.settings,
      { date, cause },
      token === undefined ? freshToken(this.now()) : assertToken(token),
    );
  }

  /** State and progress of a job, or null when it does not exist (or was removed). */
  async getProgress(jobId: string): Promise<JobProgressView | null> {
    const job = await this.queue.getJob(jobId);
    return job ? this.view(job) : null;
  }

  /** The most recent jobs over every state, newest first. */
  async listRecent(limit = 20): Promise<JobProgressView[]> {
    const jobs = await this.queue.getJobs(RECENT_STATES, 0, Math.max(0, limit - 1), false);
    const unique = new Map<string, Job>();
    for (const j of jobs) if (j?.id) unique.set(j.id, j);
    const newest = [...unique.values()].sort((a, b) => b.timestamp - a.timestamp).slice(0, limit);
    return Promise.all(newest.map((j) => this.view(j)));
  }

  async close(): Promise<void> {
    await this.flows?.close();
    await this.queue.close();
  }

  private async view(job: Job): Promise<JobProgressView> {
    const state = await job.getState();
    let children: JobProgressView['children'] = null;
    const own = progressFraction(job.progress);
    const phase = own.phase;
    let fraction = own.fraction;
    if (job.name === 'backfill') {
      const c = await childCounts(job);
      children = { done: c.done, failed: c.failed, total: c.total };
      fraction = c.fraction;
    } else if (state === 'completed') {
      fraction = 1;
    }
    return {
      id: job.id ?? '',
      name: job.name,
      state,
      progress: fraction,
      phase,
      children,
      data: job.data,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || null,
      result: job.returnvalue ?? null,
      createdAtMs: job.timestamp,
      finishedAtMs: job.finishedOn ?? null,
    };
  }
}
