/**
 * The batch worker process (src/jobs/main.ts with the real runtime: Redis, MinIO, DuckDB, Kafka)
 * serves /metrics on AMI_BATCH_METRICS_PORT: the queue depth and the catalog watermark, its age and
 * the last publish time (sampled from the real catalog), and after jobs ran the job counters, the
 * duration histogram and the days built — here a real build of a day with no reads, which publishes
 * the day (empty partitions) and moves the watermark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  datePartition,
  monthPartition,
  type ViewName,
} from '@ami/shared/catalog';
import { createKafka, createRedis, createS3, ensureTopics } from '@ami/shared/clients';
import { addLocalDays, localDayBounds, localMonthOfDate } from '@ami/shared/time';
import { uniqueName } from '../../../../test/support/config.ts';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import { BatchJobs, loadBatchJobSettings } from '../../src/jobs/index.ts';
import { TZ, batchScenario, simulateFleet, waitFor } from '../support/pipeline.ts';

const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
const PUBLISHED = '2026-02-10';
const BUILT = addLocalDays(PUBLISHED, 1);

/** `name{labels} value` lines of a Prometheus text page (no HELP/TYPE). */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parseMetrics(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

/** Every view partition of one day, published with no rows (a day that had no reads). */
function emptyDay(date: string): { view: ViewName; partition: string; files: [] }[] {
  return [
    ...DAILY_VIEWS.map((view) => ({ view, partition: datePartition(date), files: [] as [] })),
    ...MONTHLY_VIEWS.map((view) => ({
      view,
      partition: monthPartition(localMonthOfDate(date)),
      files: [] as [],
    })),
  ];
}

describe('batch worker process /metrics (real runtime)', () => {
  const s = batchScenario('jobmetrics');
  const s3 = createS3(s.config);
  const dir = mkdtempSync(join(tmpdir(), 'ami-jobs-metrics-'));
  const queueEnv = {
    AMI_BATCH_QUEUE: uniqueName('metrics'),
    AMI_BATCH_KEY_PREFIX: uniqueName('bm'),
    AMI_BATCH_SCHEDULE: 'false',
    AMI_BATCH_METRICS_PORT: '0',
    AMI_BATCH_METRICS_SAMPLE_MS: '200',
    AMI_TOPIC_RESTATEMENTS: `${s.id}.restatements`,
    AMI_RESTATEMENT_CURSOR_PREFIX: s.id,
    AMI_RECONCILIATION_PREFIX: `it/${s.id}/`,
  };
  const settings = loadBatchJobSettings(queueEnv);
  const connection = createRedis(s.config, { forBullMQ: true });
  const jobs = new BatchJobs({ connection, settings, timeZone: TZ });
  const publisher = new CatalogPublisher({
    s3,
    bucket: s.config.connection.s3Bucket,
    prefix: `it/${s.id}/`,
    timeZone: TZ,
    retentionMs: 86_400_000,
  });
  let child: ChildProcess | undefined;
  let stderr = '';
  let metricsUrl = '';
  let startedAtMs = 0;

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    await ensureTopics(createKafka(s.config), [{ topic: queueEnv.AMI_TOPIC_RESTATEMENTS, numPartitions: 1 }]);
    await publisher.publish(emptyDay(PUBLISHED), { cause: 'backfill' });
    const fleet = await simulateFleet({ meters: 3, days: 1, startDate: PUBLISHED, seed: 5 });
    const topologyFile = join(dir, 'topology.jsonl');
    writeFileSync(topologyFile, fleet.topology.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // waiting in the queue before the worker starts: one delayed job
    await jobs.queue.add('sweep-dirty', {}, { jobId: 'later', delay: 3_600_000 });

    startedAtMs = Date.now();
    child = spawn(process.execPath, ['--import', 'tsx', 'packages/batch-layer/src/jobs/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...inject('infraEnv'),
        ...s.overrides,
        ...queueEnv,
        AMI_TOPOLOGY_FILE: topologyFile,
        AMI_CACHE_DIR: join(dir, 'cache'),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('the worker to log its metrics port', () => {
      if (child?.exitCode !== null) throw new Error(`worker exited:\n${stderr.slice(-4000)}`);
      const port = /"event":"ready".*"metricsPort":(\d+)/.exec(stderr)?.[1];
      if (port) metricsUrl = `http://127.0.0.1:${port}/metrics`;
      return Promise.resolve(port !== undefined);
    });
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await jobs.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('samples the queue depth and the catalog watermark; the age is now − watermark', async () => {
    const watermarkMs = localDayBounds(PUBLISHED, TZ).endMs;
    let text = '';
    await waitFor('the first sample', async () => {
      text = await scrape();
      return sample(text, 'ami_batch_watermark_seconds') === watermarkMs / 1000;
    });
    const before = Date.now();
    text = await scrape();
    const after = Date.now();
    expect(sample(text, 'ami_batch_queue_jobs', { queue: settings.queue, state: 'delayed' })).toBe(1);
    expect(sample(text, 'ami_batch_queue_jobs', { queue: settings.queue, state: 'failed' })).toBe(0);
    const age = sample(text, 'ami_batch_watermark_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual((before - watermarkMs) / 1000 - 0.001);
    expect(age).toBeLessThanOrEqual((after - watermarkMs) / 1000 + 0.001);
    const { snapshot } = await publisher.current();
    expect(sample(text, 'ami_batch_last_publish_timestamp_seconds')).toBe(
      Date.parse(snapshot!.committedAt) / 1000,
    );
    expect(sample(text, 'ami_batch_catalog_seq')).toBe(snapshot!.seq);
    // the process's default metrics carry the service label
    expect(sample(text, 'ami_process_cpu_user_seconds_total', { service: 'batch-worker' })).toBeGreaterThan(
      0,
    );
  });

  it('counts jobs by outcome, times them, and counts the day it built', async () => {
    await jobs.queue.add('sweep-dirty', {}, { jobId: 'sweep-now' });
    await jobs.queue.add('reconcile', { date: 'not-a-date' }, { jobId: 'bad-payload', attempts: 3 });
    const { id } = await jobs.enqueueRebuild(BUILT, 'backfill', 'metrics');
    let text = '';
    await waitFor(
      'the jobs to finish',
      async () => {
        text = await scrape();
        return (
          sample(text, 'ami_batch_jobs_completed_total', { name: 'build-day' }) === 1 &&
          sample(text, 'ami_batch_jobs_completed_total', { name: 'sweep-dirty' }) === 1 &&
          sample(text, 'ami_batch_jobs_failed_total', { name: 'reconcile', final: 'true' }) === 1
        );
      },
      180_000,
    );
    expect(await (await jobs.queue.getJob(id))!.getState()).toBe('completed');
    // an unrecoverable payload fails at once, whatever its attempts
    expect(
      sample(text, 'ami_batch_jobs_failed_total', { name: 'reconcile', final: 'false' }),
    ).toBeUndefined();
    expect(
      sample(text, 'ami_batch_job_duration_seconds_count', { name: 'build-day', outcome: 'completed' }),
    ).toBe(1);
    expect(
      sample(text, 'ami_batch_job_duration_seconds_count', { name: 'reconcile', outcome: 'failed' }),
    ).toBe(1);
    expect(
      sample(text, 'ami_batch_job_duration_seconds_bucket', {
        name: 'build-day',
        outcome: 'completed',
        le: '+Inf',
      }),
    ).toBe(1);
    expect(sample(text, 'ami_batch_days_built_total', { cause: 'backfill' })).toBe(1);

    // the build published the next day: the sampled watermark moves to its end
    const next = localDayBounds(BUILT, TZ).endMs / 1000;
    await waitFor('the watermark to move', async () => {
      text = await scrape();
      return sample(text, 'ami_batch_watermark_seconds') === next;
    });
    const { snapshot } = await publisher.current();
    expect(snapshot!.lastContiguousDay).toBe(BUILT);
    expect(Date.parse(snapshot!.committedAt)).toBeGreaterThanOrEqual(startedAtMs);
    expect(sample(text, 'ami_batch_last_publish_timestamp_seconds')).toBe(
      Date.parse(snapshot!.committedAt) / 1000,
    );
    expect(sample(text, 'ami_batch_catalog_seq')).toBe(snapshot!.seq);
  });

  it('stops cleanly on SIGTERM (the sampler and the metrics server close)', async () => {
    const exited = new Promise<{ code: number | null }>((resolve) =>
      child!.on('exit', (code) => resolve({ code })),
    );
    child!.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0 });
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
