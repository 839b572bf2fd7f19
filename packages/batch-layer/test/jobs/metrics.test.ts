/**
 * The batch worker's metrics (src/jobs/metrics.ts): outcome and duration of job attempts, the
 * counters fed by worker events, and the sampler's queue-depth, watermark and publish-time gauges.
 * The worker, queue and catalog here are stand-ins with the same event/method shapes (no Redis or
 * S3 in a unit test); test/jobs/metrics.int.test.ts runs the real process.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Job, Worker } from 'bullmq';
import type { CatalogReader, PinnedCatalog } from '@ami/shared/catalog';
import { createMetricsRegistry, type Registry } from '@ami/shared/metrics';
import {
  attemptSeconds,
  createBatchMetrics,
  failureOutcome,
  instrumentBatchWorker,
  QUEUE_DEPTH_STATES,
  startBatchSampler,
} from '../../src/jobs/metrics.ts';

interface Sample {
  readonly value: number;
  readonly labels: Record<string, unknown>;
  /** Set on histogram samples: `<name>_bucket`, `_sum`, `_count`. */
  readonly metricName?: string;
}

/** Value of the first sample of metric `name` (`series`: which histogram series) with `labels`. */
async function value(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
  series?: string,
): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Sample[];
  return values.find(
    (v) => v.metricName === series && Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x),
  )?.value;
}

const histogramCount = (registry: Registry, name: string, labels: Record<string, string>) =>
  value(registry, name, labels, `${name}_count`);

const job = (fields: Partial<Job> & { name: string }): Job =>
  ({ attemptsMade: 1, opts: {}, ...fields }) as unknown as Job;

describe('failureOutcome and attemptSeconds', () => {
  it('a failed attempt is final when unrecoverable or out of attempts, else a retry', () => {
    const err = (name: string) => ({ name });
    expect(failureOutcome({ attemptsMade: 1, opts: { attempts: 5 } }, err('Error'))).toBe('retry');
    expect(failureOutcome({ attemptsMade: 5, opts: { attempts: 5 } }, err('Error'))).toBe('failed');
    expect(failureOutcome({ attemptsMade: 1, opts: { attempts: 5 } }, err('UnrecoverableError'))).toBe(
      'failed',
    );
    expect(failureOutcome({ attemptsMade: 1, opts: {} }, err('Error'))).toBe('failed');
  });

  it('measures from processing start to finish, or to now while unfinished', () => {
    expect(attemptSeconds({ attemptsMade: 1, opts: {}, processedOn: 1000, finishedOn: 3500 }, 9000)).toBe(
      2.5,
    );
    expect(attemptSeconds({ attemptsMade: 1, opts: {}, processedOn: 1000 }, 2000)).toBe(1);
    expect(attemptSeconds({ attemptsMade: 1, opts: {} }, 2000)).toBeNull();
  });
});

describe('instrumentBatchWorker', () => {
  it('counts completed and failed attempts, observes their run time and the days built', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    const metrics = createBatchMetrics(registry);
    const worker = new EventEmitter();
    instrumentBatchWorker(worker as unknown as Pick<Worker, 'on'>, metrics, () => 10_000);

    worker.emit('completed', job({ name: 'build-day', processedOn: 1000, finishedOn: 4000 }), {
      date: '2026-01-05',
      cause: 'late_data',
      committed: true,
      restated: 3,
    });
    worker.emit('completed', job({ name: 'build-day', processedOn: 1000, finishedOn: 1500 }), {
      date: '2026-01-06',
      cause: 'late_data',
      committed: false,
      restated: 0,
    });
    worker.emit('completed', job({ name: 'sweep-dirty', processedOn: 1000, finishedOn: 1010 }), {});
    worker.emit(
      'failed',
      job({ name: 'build-day', processedOn: 2000, attemptsMade: 1, opts: { attempts: 3 } }),
      new Error('S3 down'),
    );
    worker.emit(
      'failed',
      job({ name: 'reconcile', processedOn: 9000, attemptsMade: 1, opts: { attempts: 3 } }),
      Object.assign(new Error('bad payload'), { name: 'UnrecoverableError' }),
    );
    worker.emit('stalled', 'job-1', 'active');

    expect(await value(registry, 'ami_batch_jobs_completed_total', { name: 'build-day' })).toBe(2);
    expect(await value(registry, 'ami_batch_jobs_completed_total', { name: 'sweep-dirty' })).toBe(1);
    expect(await value(registry, 'ami_batch_jobs_failed_total', { name: 'build-day', final: 'false' })).toBe(
      1,
    );
    expect(await value(registry, 'ami_batch_jobs_failed_total', { name: 'reconcile', final: 'true' })).toBe(
      1,
    );
    expect(await value(registry, 'ami_batch_days_built_total', { cause: 'late_data' })).toBe(1);
    expect(await value(registry, 'ami_batch_partitions_restated_total')).toBe(3);
    expect(await value(registry, 'ami_batch_jobs_stalled_total')).toBe(1);
    const h = 'ami_batch_job_duration_seconds';
    expect(await histogramCount(registry, h, { name: 'build-day', outcome: 'completed' })).toBe(2);
    expect(await histogramCount(registry, h, { name: 'build-day', outcome: 'retry' })).toBe(1);
    expect(await histogramCount(registry, h, { name: 'reconcile', outcome: 'failed' })).toBe(1);
    const text = await registry.metrics();
    // 3 s + 0.5 s of completed builds; the retried attempt ran from 2 s to "now" (10 s)
    expect(text).toMatch(
      /ami_batch_job_duration_seconds_sum\{[^}]*name="build-day"[^}]*outcome="completed"[^}]*\} 3\.5\b/,
    );
    expect(text).toMatch(
      /ami_batch_job_duration_seconds_sum\{[^}]*name="build-day"[^}]*outcome="retry"[^}]*\} 8\b/,
    );
  });
});

describe('startBatchSampler', () => {
  const pinned = (p: Partial<PinnedCatalog>) =>
    ({ seq: 0, watermarkMs: null, committedAt: null, ...p }) as PinnedCatalog;
  const catalogOf = (read: () => PinnedCatalog): Pick<CatalogReader, 'withPinned'> => ({
    withPinned: <T>(fn: (c: PinnedCatalog) => Promise<T>) => fn(read()),
  });

  it('samples queue depth per state and the catalog; the watermark age is computed at scrape time', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    let now = Date.parse('2026-03-02T06:00:00Z');
    const metrics = createBatchMetrics(registry, () => now);
    const counts: Record<string, number> = { waiting: 4, active: 1, delayed: 2, failed: 7 };
    let asked: string[] = [];
    const queue = {
      name: 'ami-batch',
      getJobCounts: (...types: string[]) => {
        asked = types;
        return Promise.resolve(counts);
      },
    };
    const wm = Date.parse('2026-03-01T23:00:00Z');
    const sampler = startBatchSampler({
      queue: queue as never,
      catalog: catalogOf(() => pinned({ seq: 12, watermarkMs: wm, committedAt: '2026-03-02T02:31:00.000Z' })),
      metrics,
      everyMs: 3_600_000,
    });
    await sampler.sample();
    await sampler.stop();
    expect(asked).toEqual([...QUEUE_DEPTH_STATES]);
    for (const [state, n] of Object.entries({ ...counts, prioritized: 0, 'waiting-children': 0 }))
      expect(await value(registry, 'ami_batch_queue_jobs', { queue: 'ami-batch', state }), state).toBe(n);
    expect(await value(registry, 'ami_batch_watermark_seconds')).toBe(wm / 1000);
    expect(await value(registry, 'ami_batch_catalog_seq')).toBe(12);
    expect(await value(registry, 'ami_batch_last_publish_timestamp_seconds')).toBe(
      Date.parse('2026-03-02T02:31:00Z') / 1000,
    );
    expect(await value(registry, 'ami_batch_watermark_age_seconds')).toBe(7 * 3600);
    now += 60_000; // no new sample: the age still follows the clock
    expect(await value(registry, 'ami_batch_watermark_age_seconds')).toBe(7 * 3600 + 60);
  });

  it('reports no watermark as NaN age and 0, and counts failed samples without throwing', async () => {
    const registry = createMetricsRegistry('t', { defaultMetrics: false });
    const metrics = createBatchMetrics(registry);
    const sampler = startBatchSampler({
      queue: { name: 'q', getJobCounts: () => Promise.reject(new Error('Connection is closed.')) } as never,
      catalog: catalogOf(() => pinned({})),
      metrics,
      everyMs: 3_600_000,
    });
    await sampler.sample();
    await sampler.stop();
    expect(await value(registry, 'ami_batch_watermark_seconds')).toBe(0);
    expect(await value(registry, 'ami_batch_watermark_age_seconds')).toBeNaN();
    expect(
      await value(registry, 'ami_batch_metrics_sample_errors_total', { what: 'queue' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await value(registry, 'ami_batch_metrics_sample_errors_total', { what: 'catalog' }),
    ).toBeUndefined();
  });
});
