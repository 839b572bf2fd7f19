/**
 * Prometheus metrics of the batch worker process (prefix `ami_batch_`), served by main.ts on
 * AMI_BATCH_METRICS_PORT:
 *  - from the worker's events: run time of every job attempt by job name and outcome, completed and
 *    failed counters, stalled jobs, days built (committed build-day jobs) and restated partitions;
 *  - sampled every AMI_BATCH_METRICS_SAMPLE_MS: the queue depth per state, and from the catalog
 *    the batch watermark, the last publish time and the catalog seq. The watermark age
 *    (now − watermark) is computed when scraped, so it grows between samples as it should.
 */
import type { Job, Queue, Worker } from 'bullmq';
import type { CatalogReader } from '@ami/shared/catalog';
import type { Logger } from '@ami/shared/log';
import { counter, gauge, Gauge, histogram, METRIC_PREFIX, type Registry } from '@ami/shared/metrics';
import type { BuildDaySummary } from './build-day.ts';

/** A build takes seconds to tens of minutes; sweeps and relays milliseconds. */
export const JOB_DURATION_BUCKETS_S = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600,
];

/** Queue states sampled into `ami_batch_queue_jobs{state}`. */
export const QUEUE_DEPTH_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
] as const;

/** Outcome label of a job attempt: done, failed for good, or failed with an attempt left. */
export type JobOutcome = 'completed' | 'failed' | 'retry';

export function createBatchMetrics(registry: Registry, now: () => number = Date.now) {
  let watermarkMs: number | null = null;
  const watermark = gauge(
    registry,
    'batch_watermark_seconds',
    'Batch watermark of the catalog (unix seconds; 0 = no day published)',
  );
  new Gauge({
    name: `${METRIC_PREFIX}batch_watermark_age_seconds`,
    help: 'now − batch watermark of the catalog, computed at scrape time (NaN = no day published or not read yet)',
    registers: [registry],
    collect() {
      this.set(watermarkMs === null ? Number.NaN : (now() - watermarkMs) / 1000);
    },
  });
  return {
    jobSeconds: histogram(
      registry,
      'batch_job_duration_seconds',
      'Run time of a job attempt (processing start to finish) by job name and outcome: completed, failed (no attempt left), retry (an attempt failed, another follows)',
      JOB_DURATION_BUCKETS_S,
      ['name', 'outcome'],
    ),
    completed: counter(registry, 'batch_jobs_completed_total', 'Jobs completed', ['name']),
    failed: counter(
      registry,
      'batch_jobs_failed_total',
      'Failed job attempts; final="true" when the job failed for good (no attempt left or unrecoverable)',
      ['name', 'final'],
    ),
    stalled: counter(
      registry,
      'batch_jobs_stalled_total',
      'Jobs whose worker was lost (lock expired), moved back to wait by this worker',
    ),
    daysBuilt: counter(
      registry,
      'batch_days_built_total',
      'build-day jobs that committed a new catalog version, by cause',
      ['cause'],
    ),
    restated: counter(
      registry,
      'batch_partitions_restated_total',
      'View partitions changed by a committed build that had been published before (restatements)',
    ),
    queueJobs: gauge(registry, 'batch_queue_jobs', 'Jobs in the batch queue by state (sampled)', [
      'queue',
      'state',
    ]),
    lastPublish: gauge(
      registry,
      'batch_last_publish_timestamp_seconds',
      'Commit time of the current catalog snapshot, by any publisher (unix seconds; 0 = none; sampled)',
    ),
    catalogSeq: gauge(registry, 'batch_catalog_seq', 'Current catalog snapshot seq (0 = none; sampled)'),
    sampleErrors: counter(
      registry,
      'batch_metrics_sample_errors_total',
      'Samples that failed (queue: Redis, catalog: S3)',
      ['what'],
    ),
    /** Records the catalog's watermark (epoch ms, null = none) read by a sample. */
    setWatermark(ms: number | null): void {
      watermarkMs = ms;
      watermark.set(ms === null ? 0 : ms / 1000);
    },
  };
}

export type BatchMetrics = ReturnType<typeof createBatchMetrics>;

/** The fields of a BullMQ job the metrics read. */
export interface JobTiming {
  readonly attemptsMade: number;
  readonly opts: { readonly attempts?: number };
  readonly processedOn?: number;
  readonly finishedOn?: number;
}

/**
 * Pure: the outcome of a `failed` event. BullMQ emits it after moving the job, with attemptsMade
 * already counting this attempt: the job failed for good when it is unrecoverable or has used every
 * attempt; otherwise it is retried.
 */
export function failureOutcome(job: JobTiming, err: { readonly name?: string }): 'failed' | 'retry' {
  if (err.name === 'UnrecoverableError') return 'failed';
  return job.attemptsMade >= (job.opts.attempts ?? 1) ? 'failed' : 'retry';
}

/** Pure: seconds from processing start to finish (or `nowMs` when not finished), null when unknown. */
export function attemptSeconds(job: JobTiming, nowMs: number): number | null {
  if (job.processedOn === undefined || job.processedOn <= 0) return null;
  const end = job.finishedOn !== undefined && job.finishedOn > 0 ? job.finishedOn : nowMs;
  return Math.max(0, end - job.processedOn) / 1000;
}

function isBuildDaySummary(result: unknown): result is BuildDaySummary {
  return (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as BuildDaySummary).committed === 'boolean' &&
    typeof (result as BuildDaySummary).cause === 'string'
  );
}

/** Updates the job metrics from a worker's events. */
export function instrumentBatchWorker(
  worker: Pick<Worker, 'on'>,
  metrics: BatchMetrics,
  now: () => number = Date.now,
): void {
  const observe = (job: Job, outcome: JobOutcome) => {
    const s = attemptSeconds(job, now());
    if (s !== null) metrics.jobSeconds.observe({ name: job.name, outcome }, s);
  };
  worker.on('completed', (job: Job, result: unknown) => {
    observe(job, 'completed');
    metrics.completed.inc({ name: job.name });
    if (job.name === 'build-day' && isBuildDaySummary(result) && result.committed) {
      metrics.daysBuilt.inc({ cause: result.cause });
      if (result.restated > 0) metrics.restated.inc(result.restated);
    }
  });
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (!job) {
      metrics.failed.inc({ name: 'unknown', final: 'true' });
      return;
    }
    const outcome = failureOutcome(job, err);
    observe(job, outcome);
    metrics.failed.inc({ name: job.name, final: String(outcome === 'failed') });
  });
  worker.on('stalled', () => metrics.stalled.inc());
}

export interface BatchSamplerDeps {
  readonly queue: Pick<Queue, 'name' | 'getJobCounts'>;
  /** The worker's catalog reader (@ami/shared/catalog). */
  readonly catalog: Pick<CatalogReader, 'withPinned'>;
  readonly metrics: BatchMetrics;
  /** AMI_BATCH_METRICS_SAMPLE_MS. */
  readonly everyMs: number;
  readonly logger?: Logger;
}

export interface BatchSampler {
  /** One sample now (the timer's samples never overlap with it). */
  sample(): Promise<void>;
  /** Stops the timer and waits for a sample in flight. */
  stop(): Promise<void>;
}

/** Samples the queue depth and the catalog at once, then every `everyMs` (timer unref'd). */
export function startBatchSampler(deps: BatchSamplerDeps): BatchSampler {
  const { queue, catalog, metrics, logger } = deps;
  const sampleQueue = async () => {
    const counts = await queue.getJobCounts(...QUEUE_DEPTH_STATES);
    for (const state of QUEUE_DEPTH_STATES)
      metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
  };
  const sampleCatalog = async () => {
    const read = await catalog.withPinned((p) =>
      Promise.resolve({ seq: p.seq, watermarkMs: p.watermarkMs, committedAt: p.committedAt }),
    );
    metrics.setWatermark(read.watermarkMs);
    metrics.catalogSeq.set(read.seq);
    metrics.lastPublish.set(read.committedAt === null ? 0 : Date.parse(read.committedAt) / 1000);
  };
  const guarded = (what: 'queue' | 'catalog', fn: () => Promise<void>) =>
    fn().catch((err: unknown) => {
      metrics.sampleErrors.inc({ what });
      logger?.warn({ err: err instanceof Error ? err.message : String(err), what }, 'metrics sample failed');
    });
  let running: Promise<void> | null = null;
  const sample = () => {
    running ??= Promise.all([guarded('queue', sampleQueue), guarded('catalog', sampleCatalog)]).then(() => {
      running = null;
    });
    return running;
  };
  void sample();
  const timer = setInterval(() => void sample(), deps.everyMs);
  timer.unref();
  return {
    sample,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
