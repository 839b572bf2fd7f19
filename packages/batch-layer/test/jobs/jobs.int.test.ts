/**
 * BullMQ scheduling of the batch layer against the real Redis: schedulers, the late-data sweep,
 * dirty marks that arrive during a build, backfill flows over the spring-forward DST days, retries
 * with backoff, idempotent enqueues, the per-day build lock and bad payloads.
 *
 * The DayBuilder here is a recording test double of the lead's day builder (src/rebuild): it only
 * records calls and can be told to fail or to block; every queue, lock and dirty mark is real.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { createRedis, type RedisClient } from '@ami/shared/clients';
import { localDate, addLocalDays } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../../test/support/config.ts';
import { DirtyDays, dirtyDaysKey } from '../../src/archiver/dirty-days.ts';
import type { DayBuildRequest, DayBuildResult, DayBuilder } from '../../src/rebuild/types.ts';
import {
  BatchJobs,
  buildDayJobId,
  createBatchWorker,
  loadBatchJobSettings,
  processSweep,
  registerSchedulers,
  type BatchJobSettings,
  type BatchWorker,
  type BuildDaySummary,
} from '../../src/jobs/index.ts';

const TZ = 'Europe/Stockholm';

type Hook = (req: DayBuildRequest, call: number) => Promise<void> | void;

/** Test double of the day builder: records every call; `hook` may fail or block a call. */
class RecordingBuilder implements DayBuilder {
  readonly calls: { date: string; cause: string }[] = [];
  private readonly running = new Map<string, number>();
  maxConcurrentPerDay = 0;

  constructor(private readonly hook: Hook = () => undefined) {}

  async buildDay(req: DayBuildRequest): Promise<DayBuildResult> {
    const call = this.calls.push({ date: req.date, cause: req.cause });
    const n = (this.running.get(req.date) ?? 0) + 1;
    this.running.set(req.date, n);
    this.maxConcurrentPerDay = Math.max(this.maxConcurrentPerDay, n);
    try {
      req.onProgress?.('load', 0.1);
      await this.hook(req, call);
      req.onProgress?.('publish', 0.9);
      return {
        date: req.date,
        committed: true,
        version: `v${call}`,
        watermark: null,
        changes: [],
        stats: {
          rawIntervals: 0,
          intervals: 0,
          meters: 0,
          validatedRows: 0,
          quality: { A: 0, E: 0, M: 0, X: 0, O: 0 },
          phaseMs: { load: 0, dedupe: 0, vee: 0, views: 0, publish: 0 },
        },
      };
    } finally {
      this.running.set(req.date, (this.running.get(req.date) ?? 1) - 1);
    }
  }

  datesBuilt(): string[] {
    return this.calls.map((c) => c.date).sort();
  }
}

/** Polls until `check` returns a value (not undefined); fails after a generous deadline instead of hanging. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  deadlineMs = 60_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function finished(queue: Queue, id: string): Promise<Job> {
  return waitFor(`job ${id} to finish`, async () => {
    const job = await queue.getJob(id);
    if (!job) return undefined;
    const state = await job.getState();
    return state === 'completed' || state === 'failed' ? job : undefined;
  });
}

const connection: RedisClient = createRedis(integrationConfig(), {
  forBullMQ: true,
  connectionName: 'jobs-it',
});
const cleanups: (() => Promise<void>)[] = [];

interface Harness {
  readonly settings: BatchJobSettings;
  readonly dirty: DirtyDays;
  readonly jobs: BatchJobs;
  readonly bw: BatchWorker;
  readonly queue: Queue;
}

function harness(
  builder: DayBuilder,
  env: Record<string, string> = {},
  opts: { autorun?: boolean; now?: () => number } = {},
): Harness {
  const settings = loadBatchJobSettings({
    AMI_BATCH_QUEUE: uniqueName('batch'),
    AMI_BATCH_KEY_PREFIX: uniqueName('bt'),
    AMI_BATCH_BACKOFF_MS: '100',
    AMI_BATCH_DAY_LOCK_RETRY_MS: '50',
    ...env,
  });
  const dirtyPrefix = uniqueName('jobs-dirty');
  const dirty = new DirtyDays(connection, dirtyPrefix);
  const bw = createBatchWorker({
    connection,
    builder,
    dirtyDays: dirty,
    settings,
    timeZone: TZ,
    autorun: opts.autorun,
    now: opts.now,
  });
  const jobs = new BatchJobs({ connection, settings, timeZone: TZ });
  cleanups.push(async () => {
    await bw.close();
    await jobs.close();
    const q = new Queue(settings.queue, { connection, prefix: settings.keyPrefix });
    await q.obliterate({ force: true });
    await q.close();
    await connection.del(dirtyDaysKey(dirtyPrefix));
  });
  return { settings, dirty, jobs, bw, queue: bw.queue };
}

afterAll(async () => {
  for (const c of cleanups) await c();
  connection.disconnect();
});

describe('batch jobs on BullMQ (real Redis)', () => {
  it('registers the nightly (cron in local time) and sweep schedulers, idempotently', async () => {
    const h = harness(new RecordingBuilder(), {}, { autorun: false });
    await registerSchedulers(h.queue, h.settings, TZ);
    await registerSchedulers(h.queue, h.settings, TZ);
    const byId = new Map((await h.queue.getJobSchedulers()).map((s) => [s.key, s]));
    expect(byId.size).toBe(3);
    expect(byId.get('relay-restatements')).toMatchObject({ name: 'relay-restatements', every: 60_000 });
    expect(byId.get('nightly')).toMatchObject({ name: 'nightly', pattern: '30 2 * * *', tz: TZ });
    expect(byId.get('sweep-dirty')).toMatchObject({ name: 'sweep-dirty', every: 300_000 });
    expect(byId.get('nightly')?.template?.opts).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential', delay: 100 },
    });

    // changed settings update the same schedulers
    const changed = loadBatchJobSettings({
      AMI_BATCH_QUEUE: h.settings.queue,
      AMI_BATCH_KEY_PREFIX: h.settings.keyPrefix,
      AMI_BATCH_NIGHTLY_CRON: '15  4 * * *',
      AMI_BATCH_SWEEP_EVERY_S: '60',
    });
    await registerSchedulers(h.queue, changed, 'America/New_York');
    const after = new Map((await h.queue.getJobSchedulers()).map((s) => [s.key, s]));
    expect(after.size).toBe(3);
    expect(after.get('nightly')).toMatchObject({ pattern: '15 4 * * *', tz: 'America/New_York' });
    expect(after.get('sweep-dirty')).toMatchObject({ every: 60_000 });
  });

  it('the nightly job builds local yesterday (the 23-hour DST day) with cause backfill', async () => {
    const builder = new RecordingBuilder();
    // 2026-03-30T00:30Z = 02:30 CEST on 2026-03-30 in Stockholm → yesterday is 2026-03-29
    const h = harness(builder, {}, { now: () => Date.parse('2026-03-30T00:30:00Z') });
    const job = await h.queue.add('nightly', {});
    const done = await finished(h.queue, job.id!);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toMatchObject({ date: '2026-03-29', added: true });
    const build = await finished(h.queue, buildDayJobId({ date: '2026-03-29', cause: 'backfill' }, 'n'));
    expect(await build.getState()).toBe('completed');
    expect(builder.calls).toEqual([{ date: '2026-03-29', cause: 'backfill' }]);
  });

  it('the sweep enqueues only closed dirty days, oldest first, at most cap; a repeated sweep adds nothing', async () => {
    const builder = new RecordingBuilder();
    const h = harness(builder, { AMI_BATCH_SWEEP_CAP: '2' }, { autorun: false });
    const today = localDate(Date.now(), TZ);
    const dirtyDays = ['2026-03-31', '2026-03-28', '2026-03-30', '2026-03-29'];
    await h.dirty.markDirty([...dirtyDays, today], 1_000);

    const first = await processSweep({
      queue: h.queue,
      dirtyDays: h.dirty,
      settings: h.settings,
      timeZone: TZ,
      now: Date.now,
    });
    expect(first).toMatchObject({ dirty: 5, open: 1, deferred: 2, alreadyQueued: [], failed: [] });
    expect(first.enqueued).toEqual([
      buildDayJobId({ date: '2026-03-28', cause: 'late_data' }, 'm1000'),
      buildDayJobId({ date: '2026-03-29', cause: 'late_data' }, 'm1000'),
    ]);
    // two more sweeps of the same round, racing: nothing new
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        processSweep({
          queue: h.queue,
          dirtyDays: h.dirty,
          settings: h.settings,
          timeZone: TZ,
          now: Date.now,
        }),
      ),
    );
    expect((await h.queue.getJobs(['waiting'])).map((j) => j.id).sort()).toEqual(first.enqueued);
    expect([...a!.alreadyQueued, ...b!.alreadyQueued].sort()).toEqual([
      '2026-03-28',
      '2026-03-28',
      '2026-03-29',
      '2026-03-29',
    ]);

    h.bw.worker.run().catch(() => undefined);
    for (const id of first.enqueued) expect(await (await finished(h.queue, id)).getState()).toBe('completed');
    expect(builder.calls).toEqual([
      { date: '2026-03-28', cause: 'late_data' },
      { date: '2026-03-29', cause: 'late_data' },
    ]);
    expect((await h.dirty.listDirty()).map((d) => d.date)).toEqual(['2026-03-30', '2026-03-31', today]);

    // the next sweep (as the scheduler would run it) takes the next two; the open day stays
    const sweep = await h.queue.add('sweep-dirty', {});
    const swept = await finished(h.queue, sweep.id!);
    expect(swept.returnvalue).toMatchObject({ deferred: 0, open: 1 });
    for (const id of (swept.returnvalue as { enqueued: string[] }).enqueued) await finished(h.queue, id);
    expect(builder.datesBuilt()).toEqual(['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31']);
    expect((await h.dirty.listDirty()).map((d) => d.date)).toEqual([today]);
  });

  it('a dirty mark that arrives during a build survives it; an unchanged mark is cleared', async () => {
    let dirty: DirtyDays | null = null;
    const builder = new RecordingBuilder(async (req) => {
      if (req.date === '2026-03-29') await dirty!.markDirty([req.date], 1_000);
    });
    const h = harness(builder);
    dirty = h.dirty;
    await h.dirty.markDirty(['2026-03-28', '2026-03-29'], 1_000);

    const late = await h.jobs.enqueueRebuild('2026-03-29', 'late_data');
    const calm = await h.jobs.enqueueRebuild('2026-03-28', 'late_data');
    const lateDone = await finished(h.queue, late.id);
    const calmDone = await finished(h.queue, calm.id);
    expect(lateDone.returnvalue as BuildDaySummary).toMatchObject({ dirtyStamp: 1_000, dirtyCleared: false });
    expect(calmDone.returnvalue as BuildDaySummary).toMatchObject({ dirtyStamp: 1_000, dirtyCleared: true });
    expect(await h.dirty.listDirty()).toEqual([{ date: '2026-03-29', markedAtMs: 1_001 }]);
  });

  it('a backfill over the DST days has one child per day, visible progress that reaches 1', async () => {
    let jobs: BatchJobs | null = null;
    let parentId = '';
    const seenMidway: number[] = [];
    const builder = new RecordingBuilder(async (_req, call) => {
      if (call === 2) seenMidway.push((await jobs!.getProgress(parentId))!.children!.done);
    });
    const h = harness(builder, {}, { autorun: false });
    jobs = h.jobs;
    parentId = await h.jobs.enqueueBackfill('2026-03-28', '2026-03-30');

    const before = await h.jobs.getProgress(parentId);
    expect(before).toMatchObject({
      name: 'backfill',
      state: 'waiting-children',
      progress: 0,
      children: { done: 0, failed: 0, total: 3 },
    });
    h.bw.worker.run().catch(() => undefined);
    const parent = await finished(h.queue, parentId);
    expect(await parent.getState()).toBe('completed');
    // the recording builder finds no reads: every day is listed as one without reads
    expect(parent.returnvalue).toEqual({
      from: '2026-03-28',
      to: '2026-03-30',
      days: 3,
      built: 3,
      reads: 0,
      daysWithoutReads: ['2026-03-28', '2026-03-29', '2026-03-30'],
    });
    expect(builder.calls.map((c) => c.cause)).toEqual(['backfill', 'backfill', 'backfill']);
    expect(builder.datesBuilt()).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(seenMidway).toEqual([1]);
    const after = await h.jobs.getProgress(parentId);
    expect(after).toMatchObject({
      state: 'completed',
      progress: 1,
      children: { done: 3, failed: 0, total: 3 },
    });
    expect(parent.progress).toEqual({ done: 3, failed: 0, total: 3, fraction: 1 });
    expect((await h.jobs.listRecent(10)).map((j) => j.name).sort()).toEqual([
      'backfill',
      'build-day',
      'build-day',
      'build-day',
    ]);

    // validation
    await expect(h.jobs.enqueueBackfill('2026-03-30', '2026-03-28')).rejects.toThrow(/empty/);
    await expect(h.jobs.enqueueBackfill('2024-01-01', '2026-01-01')).rejects.toThrow(/exceeds/);
    await expect(
      h.jobs.enqueueBackfill('2026-03-01', addLocalDays(localDate(Date.now(), TZ), 0)),
    ).rejects.toThrow(/not over/);
    await expect(h.jobs.enqueueBackfill('2026-02-29', '2026-03-01')).rejects.toThrow(/not a local date/);
  });

  it('a backfill whose day keeps failing finishes the other days and fails naming that day', async () => {
    const builder = new RecordingBuilder((req) => {
      if (req.date === '2026-03-29') throw new Error('boom');
    });
    const h = harness(builder, { AMI_BATCH_ATTEMPTS: '2', AMI_BATCH_BACKOFF_MS: '10' });
    const parentId = await h.jobs.enqueueBackfill('2026-03-28', '2026-03-30');
    const parent = await finished(h.queue, parentId);
    expect(await parent.getState()).toBe('failed');
    expect(parent.failedReason).toMatch(/1 of 3 days failed: 2026-03-29/);
    expect(parent.attemptsMade).toBe(1);
    expect(builder.calls.filter((c) => c.date === '2026-03-29')).toHaveLength(2);
    expect(await h.jobs.getProgress(parentId)).toMatchObject({
      progress: 1,
      children: { done: 2, failed: 1, total: 3 },
    });
  });

  it('a failing build is retried with exponential backoff and then succeeds', async () => {
    const builder = new RecordingBuilder((_req, call) => {
      if (call <= 2) throw new Error(`transient failure ${call}`);
    });
    const h = harness(builder, { AMI_BATCH_BACKOFF_MS: '50' }, { autorun: false });
    const events = new QueueEvents(h.settings.queue, { connection, prefix: h.settings.keyPrefix });
    cleanups.push(() => events.close());
    await events.waitUntilReady();
    const delayed: string[] = [];
    events.on('delayed', ({ jobId }) => delayed.push(jobId));
    const failures: number[] = [];
    h.bw.worker.on('failed', (job) => failures.push(job?.attemptsMade ?? -1));

    const r = await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'edit-1');
    h.bw.worker.run().catch(() => undefined);
    const job = await finished(h.queue, r.id);
    expect(await job.getState()).toBe('completed');
    expect(builder.calls).toHaveLength(3);
    expect(failures).toEqual([1, 2]);
    expect(job.opts.backoff).toEqual({ type: 'exponential', delay: 50 });
    expect(job.opts.attempts).toBe(5);
    // each failed attempt went to the delayed set (backoff), not straight back to wait
    await waitFor(
      'two delayed events',
      () => Promise.resolve(delayed.length >= 2 ? true : undefined),
      10_000,
    );
    expect(delayed.filter((id) => id === r.id)).toHaveLength(2);
    expect((job.returnvalue as BuildDaySummary).version).toBe('v3');
  });

  it('a duplicate enqueue is a no-op; a new request after the build is a rerun', async () => {
    const builder = new RecordingBuilder();
    const h = harness(builder, {}, { autorun: false });
    const a = await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'e1');
    const again = await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'e1');
    const other = await h.jobs.enqueueRebuild('2026-03-28', 'late_data', 'x2');
    expect(a).toEqual({
      id: 'build-day.2026-03-28.edit.e1',
      requestedId: 'build-day.2026-03-28.edit.e1',
      added: true,
    });
    expect(again).toMatchObject({ id: a.id, added: false });
    expect(other).toMatchObject({ id: a.id, added: false, requestedId: 'build-day.2026-03-28.late_data.x2' });
    expect(await h.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });

    h.bw.worker.run().catch(() => undefined);
    await finished(h.queue, a.id);
    expect(builder.calls).toEqual([{ date: '2026-03-28', cause: 'edit' }]);
    expect(await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'e1')).toMatchObject({ added: false });
    const rerun = await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'e3');
    expect(rerun.added).toBe(true);
    await finished(h.queue, rerun.id);
    expect(builder.calls).toHaveLength(2);
    await expect(h.jobs.enqueueRebuild(localDate(Date.now(), TZ), 'edit')).rejects.toThrow(/not over/);
  });

  it('never runs two builds of the same day at once (backfill child vs rebuild, concurrency 2)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const builder = new RecordingBuilder(async (_req, call) => {
      if (call === 1) await gate;
    });
    const h = harness(builder, { AMI_BATCH_CONCURRENCY: '2' }, { autorun: false });
    const rebuild = await h.jobs.enqueueRebuild('2026-03-28', 'edit', 'lock1');
    const parentId = await h.jobs.enqueueBackfill('2026-03-28', '2026-03-28', 'lock2');
    const childId = buildDayJobId({ date: '2026-03-28', cause: 'backfill' }, 'block2');
    h.bw.worker.run().catch(() => undefined);

    try {
      await waitFor('first build to start', () =>
        Promise.resolve(builder.calls.length >= 1 ? true : undefined),
      );
      const [holder, other] =
        builder.calls[0]!.cause === 'edit' ? [rebuild.id, childId] : [childId, rebuild.id];
      // the other job found the day locked and went back to delayed instead of building
      await waitFor(
        'the second build to be delayed by the day lock',
        async () => ((await (await h.queue.getJob(other))?.getState()) === 'delayed' ? true : undefined),
        20_000,
      );
      expect(builder.calls).toHaveLength(1);
      expect(await h.bw.locks.owner('2026-03-28')).toMatch(new RegExp(`^${holder.replace(/\./g, '\\.')}/`));
    } finally {
      release(); // never leave the gated build blocking the worker's close
    }
    await finished(h.queue, rebuild.id);
    await finished(h.queue, parentId);
    expect(await (await h.queue.getJob(rebuild.id))!.getState()).toBe('completed');
    expect(await (await h.queue.getJob(childId))!.getState()).toBe('completed');
    expect(builder.calls).toHaveLength(2);
    expect(builder.maxConcurrentPerDay).toBe(1);
    expect(await h.bw.locks.owner('2026-03-28')).toBeNull();
  });

  it('a bad payload fails at once without retries and never reaches the builder', async () => {
    const builder = new RecordingBuilder();
    const h = harness(builder);
    const badDate = await h.queue.add(
      'build-day',
      { date: '2026-02-30', cause: 'late_data' },
      { attempts: 5 },
    );
    const badCause = await h.queue.add('build-day', { date: '2026-03-01', cause: 'whim' }, { attempts: 5 });
    const extra = await h.queue.add(
      'backfill',
      { from: '2026-03-01', to: '2026-03-02', x: 1 },
      { attempts: 5 },
    );
    const unknown = await h.queue.add('compact', {}, { attempts: 5 });
    for (const [job, reason] of [
      [badDate, /invalid build-day payload.*not a calendar date/],
      [badCause, /invalid build-day payload.*\/cause/],
      [extra, /invalid backfill payload/],
      [unknown, /unknown batch job name: compact/],
    ] as const) {
      const done = await finished(h.queue, job.id!);
      expect(await done.getState()).toBe('failed');
      expect(done.attemptsMade).toBe(1);
      expect(done.failedReason).toMatch(reason);
    }
    expect(builder.calls).toEqual([]);
  });
});
