/**
 * Backfill before the archiver has flushed (issue 17): a backfill taken while the archiver holds the
 * days' reads consumed but unflushed (flush age 1 h) must not publish empty days.
 *
 *  - with a real archiver running (1 h flush age, nothing committed yet): the first build asks it to
 *    flush, waits for its committed offsets and publishes every read produced; the second day of
 *    the same backfill is covered by that check (one flush per backfill); the job results
 *    (build-day children and the backfill parent) report the reads found;
 *  - with no archiver running: the build fails (after AMI_BATCH_ARCHIVE_WAIT_S, here 3 s) with a
 *    message that says so and names the lagging partitions, and nothing is published.
 *
 * Real Kafka, Redis, MinIO, archiver and day builder; isolated topics, group, prefixes and queue.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, type Job } from 'bullmq';
import { createKafka, createRedis, createS3, openDuckDB, type RedisClient } from '@ami/shared/clients';
import { loadValidationConfig } from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { localDate, parseIsoInstant } from '@ami/shared/time';
import { uniqueName } from '../../../../test/support/config.ts';
import { Archiver, DirtyDays, FlushRequests, loadArchiverSettings } from '../../src/archiver/index.ts';
import {
  ArchiveGate,
  BatchJobs,
  createBatchWorker,
  kafkaArchiverOffsets,
  loadBatchJobSettings,
  type BackfillSummary,
  type BuildDaySummary,
} from '../../src/jobs/index.ts';
import {
  TZ,
  batchScenario,
  createTopics,
  groupOffsets,
  produce,
  simulateFleet,
  testBuilder,
  waitFor,
  type BatchScenario,
  type SimulatedFleet,
} from '../support/pipeline.ts';

const DAYS = ['2026-03-10', '2026-03-11'] as const;
const quiet = createLogger('bff-it', { level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** INTERVAL reads of the fleet whose interval starts on local `date` (what the build must find). */
function intervalReadsOn(fleet: SimulatedFleet, date: string): number {
  let n = 0;
  for (const m of fleet.reads) {
    const r = JSON.parse(m.value) as { read_type?: string; interval_start?: string };
    if (r.read_type === 'INTERVAL' && localDate(parseIsoInstant(String(r.interval_start)), TZ) === date) n++;
  }
  return n;
}

async function finished(queue: Queue, id: string, timeoutMs: number): Promise<Job> {
  let job: Job | undefined;
  await waitFor(
    `job ${id} to finish`,
    async () => {
      job = await queue.getJob(id);
      const state = job ? await job.getState() : 'missing';
      return state === 'completed' || state === 'failed';
    },
    timeoutMs,
  );
  if (job === undefined) throw new Error(`job ${id} is gone`);
  return job;
}

/** A batch worker with the real day builder and the archive gate over the scenario's topics. */
async function gatedWorker(s: BatchScenario, fleet: SimulatedFleet, waitS: number) {
  const s3 = createS3(s.config);
  const redis: RedisClient = createRedis(s.config, { forBullMQ: true, connectionName: 'bff-it' });
  const kafka = createKafka(s.config, { logger: quiet });
  const admin = kafka.admin();
  const tb = await testBuilder(s, s3, fleet.topology);
  const settings = loadBatchJobSettings({
    AMI_BATCH_QUEUE: uniqueName('bff'),
    AMI_BATCH_KEY_PREFIX: uniqueName('bff'),
    AMI_BATCH_ATTEMPTS: '1',
    AMI_BATCH_ARCHIVE_WAIT_S: String(waitS),
  });
  const archiverSettings = loadArchiverSettings(s.overrides);
  const flushRequests = new FlushRequests(redis, archiverSettings.dirtyKeyPrefix);
  const bw = createBatchWorker({
    connection: redis,
    builder: tb.builder,
    dirtyDays: new DirtyDays(redis, archiverSettings.dirtyKeyPrefix),
    settings,
    timeZone: TZ,
    archiveGate: new ArchiveGate({
      offsets: kafkaArchiverOffsets(admin, archiverSettings.groupId),
      groupId: archiverSettings.groupId,
      topics: [s.config.topics.reads, s.config.topics.events],
      requestFlush: (atMs, token) => flushRequests.request(atMs, token),
      waitS: settings.archiveWaitS,
    }),
  });
  const jobs = new BatchJobs({ connection: redis, settings, timeZone: TZ });
  cleanups.push(async () => {
    await bw.close();
    await jobs.close();
    const q = new Queue(settings.queue, { connection: redis, prefix: settings.keyPrefix });
    await q.obliterate({ force: true });
    await q.close();
    await redis.del(flushRequests.key);
    await admin.close();
    tb.close();
    redis.disconnect();
    s3.destroy();
  });
  return { kafka, redis, s3, tb, jobs, queue: bw.queue, flushRequests };
}

/** A scenario whose fleet is produced to its topics (nothing consumed yet). */
async function producedScenario(name: string, flushAgeS: string) {
  const s0 = batchScenario(name);
  const overrides = { ...s0.overrides, AMI_ARCHIVER_FLUSH_AGE_S: flushAgeS };
  const s: BatchScenario = { ...s0, overrides };
  const fleet = await simulateFleet({ meters: 8, days: DAYS.length, startDate: DAYS[0], seed: 17 });
  const kafka = createKafka(s.config, { logger: quiet });
  await createTopics(kafka, s.config);
  await produce(kafka, s.config.topics.reads, fleet.reads);
  await produce(kafka, s.config.topics.events, fleet.events);
  return { s, fleet };
}

describe('backfill before the archiver has flushed', () => {
  it('makes the archiver flush once, publishes every read of the days and reports the counts', async () => {
    const { s, fleet } = await producedScenario('bff-flush', '3600');
    const expected = DAYS.map((d) => intervalReadsOn(fleet, d));
    expect(Math.min(...expected)).toBeGreaterThan(0);
    const w = await gatedWorker(s, fleet, 60);

    // a real archiver that consumes everything but, at a 1 h flush age, flushes nothing by itself
    const settings = loadArchiverSettings(s.overrides);
    const db = await openDuckDB({ threads: 1 });
    const archiver = new Archiver({
      kafka: w.kafka,
      s3: w.s3,
      redis: w.redis,
      db,
      config: s.config,
      settings,
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      logger: createLogger('bff-it-archiver', { level: 'warn' }),
    });
    cleanups.push(async () => {
      await archiver.stop();
      db.closeSync();
    });
    await archiver.start();
    const total = fleet.reads.length + fleet.events.length;
    await waitFor(
      'the archiver to consume everything',
      () => Promise.resolve(archiver.buffered === total),
      60_000,
    );
    const topics = [s.config.topics.reads, s.config.topics.events];
    const before = [...(await groupOffsets(w.kafka, topics, settings.groupId)).values()];
    expect(before.some((o) => o.end > 0 && o.committed < o.end)).toBe(true);
    expect(archiver.stats.flushes).toBe(0);

    const parentId = await w.jobs.enqueueBackfill(DAYS[0], DAYS[1]);
    const parent = await finished(w.queue, parentId, 180_000);
    expect(await parent.getState(), parent.failedReason).toBe('completed');

    // the build made the archiver flush (not its age) and waited for its commits
    expect(archiver.stats.flushes).toBeGreaterThan(0);
    expect(archiver.buffered).toBe(0);
    const after = [...(await groupOffsets(w.kafka, topics, settings.groupId)).values()];
    expect(after.every((o) => o.committed === o.end)).toBe(true);

    const values = await parent.getChildrenValues<BuildDaySummary>();
    const children = Object.values(values).sort((a, b) => a.date.localeCompare(b.date));
    expect(children.map((c) => [c.date, c.cause, c.committed, c.reads])).toEqual(
      DAYS.map((d, i) => [d, 'backfill', true, expected[i]]),
    );
    for (const c of children) expect(c.stats.rawIntervals).toBe(c.reads);
    // one check for the whole backfill: the first day waited for every message produced, the
    // second was requested before that check and is covered by it
    const waited = children.filter((c) => c.archive?.flushRequested === true);
    expect(waited).toHaveLength(1);
    expect(waited[0]!.archive!.pendingMessages).toBe(total);
    expect(children.filter((c) => c.archive?.flushRequested === false)).toHaveLength(1);

    const sum = expected.reduce((a, b) => a + b, 0);
    expect(parent.returnvalue as BackfillSummary).toEqual({
      from: DAYS[0],
      to: DAYS[1],
      days: 2,
      built: 2,
      reads: sum,
      daysWithoutReads: [],
    });
    // what `ami backfill` and GET /v1/jobs/{id} show: the job result with the count
    expect((await w.jobs.getProgress(parentId))?.result).toMatchObject({ reads: sum });

    // published: both days, each from all its reads
    const snapshot = (await w.tb.publisher.current()).snapshot;
    for (const d of DAYS) expect(snapshot?.views.intervals_validated?.partitions[`date=${d}`]).toBeDefined();
  }, 300_000);

  it('fails with a message saying no archiver runs, and publishes nothing', async () => {
    const { s, fleet } = await producedScenario('bff-none', '1');
    const w = await gatedWorker(s, fleet, 3);
    const r = await w.jobs.enqueueRebuild(DAYS[0], 'backfill');
    const job = await finished(w.queue, r.id, 90_000);
    expect(await job.getState()).toBe('failed');
    const reason = job.failedReason;
    expect(reason).toContain(`not building ${DAYS[0]}: no archiver is running`);
    expect(reason).toContain(`consumer group ${loadArchiverSettings(s.overrides).groupId} has no members`);
    expect(reason).toContain(`${s.config.topics.reads}[`);
    expect(reason).toContain('committed nothing of');
    // the archiver was asked to flush; nothing was built or published
    expect(await w.flushRequests.latest()).not.toBeNull();
    expect((await w.tb.publisher.current()).snapshot).toBeNull();
  }, 180_000);
});
