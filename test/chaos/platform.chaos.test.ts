/**
 * Chaos suite (issue 8): the whole platform — speed layer, archiver, batch worker, API, each under
 * the supervisor `pnpm ami up` uses — on a private Kafka, Redis and MinIO (test/chaos/global-setup.ts),
 * fed by a head-end that streams a simulated fleet (duplicates, corrections, late and out-of-order
 * reads, invalid messages). The stream is cut into slices; during each slice one fault is injected:
 *
 *  1. SIGKILL of the speed layer;            2. SIGKILL of the archiver;
 *  3. SIGKILL of the batch worker while a day is being built and published;
 *  4. a Kafka restart;                        5a. a Redis SIGKILL + restart (AOF keeps everything);
 *  5b. Redis comes back with an OLDER copy of its data (lost writes) while the speed layer runs: the
 *      speed layer notices its fences went back and re-applies from them;
 *  5c. Redis and the speed layer are lost together, Redis comes back EMPTY: the operator procedure of
 *      docs/operator-guide.md section 11 — `pnpm ami speed replay --execute`, start the speed layer,
 *      restart the batch worker, backfill;
 *  6. MinIO unavailable while a day is being published (the build fails, is retried, publishes).
 *
 * The processes recover by themselves (the supervisor restarts what died, clients reconnect). After
 * every slice, once everything is consumed and built, the platform must show exactly what was
 * produced — no read lost, none counted twice:
 *  - the realtime view in Redis (each interval, meter-day sums, every grid window's energy and meters
 *    reported) equals the produced reads reduced by the one latest-wins rule;
 *  - through the public API, every produced interval of a published day is authoritative, actual
 *    and has the produced value (when that is already the truth), every other one is estimated or
 *    missing (never actual), and every meter-day whose intervals are all in equals the simulator
 *    truth's day total;
 *  - every catalog version ever committed holds only complete days, and every version seen while
 *    the faults happened had all its files in S3 (no partial publication).
 * At the end the produced reads are the simulator truth, and both layers equal it everywhere.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, createRedis, createS3, createTopics } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { versionOf } from '@ami/shared/catalog';
import {
  addLocalDays,
  formatIsoOffset,
  intervalsInLocalDay,
  localDate,
  localDayBounds,
  parseIsoInstant,
} from '@ami/shared/time';
import { generateDevKeys } from '@ami/serving-layer';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs, DirtyDays } from '@ami/batch-layer/commands';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import {
  expectedFromTruth,
  readMeterDay,
  realtimeViewOf,
  runSimulation,
  type SimRun,
} from '@ami/speed-layer/testing';
import { uniqueName } from '../support/config.ts';
import { freePrivatePorts } from '@ami/infra/instances';
import { isolatedPlatformEnv, platformTopics } from '../support/platform.ts';
import type { SeriesResponse } from '../support/api-types.ts';
import { CatalogWatcher, checkCatalogChain, type CatalogLocation } from './support/catalog.ts';
import { ProducedReads, diffViews } from './support/expected.ts';
import { HeadEnd, type OutboundMessage } from './support/headend.ts';
import { PlatformProcesses, PrivateInfra, runCli, until } from './support/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TZ = 'Europe/Stockholm';
const METERS = 60;
const DAYS = 2;
const PARTITIONS = 3;
const SEED = 11;
/** Head-end rate (messages/s): a slice takes ~10 s, so each fault hits a running stream. */
const RATE = 150;
const SLICES = 8;
const INTERVAL_MS = 900_000;

type Job = Awaited<ReturnType<BatchJobs['queue']['getActive']>>[number];

type Series = SeriesResponse;

/** What one fault scenario measured (printed at the end, kept in test-artifacts/chaos-report.json). */
interface PhaseReport {
  fault: string;
  totalS: number;
  streamS: number;
  settleS: number;
  messages: number;
  resentBatches: number;
  realtimeCompared: number;
  intervalsCompared: number;
  meterDaysCompared: number;
  catalogVersions: number;
  detail: Record<string, unknown>;
}

describe('the platform under faults (chaos)', () => {
  const chaosEnv = inject('chaosEnv');
  const id = uniqueName('chaos');
  const work = mkdtempSync(join(tmpdir(), 'ami-chaos-'));
  const logDir = join(ROOT, 'test-artifacts', 'chaos-logs');
  const keys = generateDevKeys();
  const key = (role: string) => keys.keys.find((k) => k.role === role)!.key;
  const today = localDate(Date.now(), TZ);
  // Six days back: the latest late read and correction (≤ 3 days after its interval) is in the past,
  // and the days are well inside provisional retention (7 days).
  const firstDay = addLocalDays(today, -6);
  const days = Array.from({ length: DAYS }, (_, i) => addLocalDays(firstDay, i));
  const infra = new PrivateInfra(chaosEnv);
  const env: Record<string, string> = {
    ...chaosEnv,
    ...isolatedPlatformEnv(id, PARTITIONS),
    AMI_TIMEZONE: TZ,
    AMI_API_CACHE_DIR: join(work, 'api-cache'),
    AMI_API_RATE_LIMIT_PER_MIN: '1000000',
    AMI_ARCHIVER_FLUSH_AGE_S: '1',
    AMI_BATCH_SWEEP_EVERY_S: '2',
    AMI_BATCH_SWEEP_CLOSE_DELAY_S: '60',
    AMI_BATCH_RELAY_EVERY_S: '30',
    AMI_BATCH_BACKOFF_MS: '1000',
    // 1+2+…+64 s of retries: a build outlives an S3 outage of two minutes.
    AMI_BATCH_ATTEMPTS: '8',
    AMI_BATCH_LOCK_DURATION_MS: '10000',
    AMI_BATCH_STALLED_INTERVAL_MS: '5000',
    AMI_BATCH_DAY_LOCK_RETRY_MS: '2000',
    LOG_LEVEL: 'info',
  };
  const processEnv = { ...process.env, ...env };
  const config = loadConfig(processEnv);
  // (no logger: the head-end's retries while Kafka restarts are expected, not news)
  const kafka = createKafka(config, { component: 'chaos-test' });
  const admin = kafka.admin();
  const redis = createRedis(config, { connectionName: 'chaos-test' });
  const bullConnection = createRedis(config, { forBullMQ: true, connectionName: 'chaos-test-bull' });
  // Redis is down on purpose in some phases: the clients reconnect, their errors are not news.
  for (const c of [redis, bullConnection]) c.on('error', () => undefined);
  const s3 = createS3(config);
  const loc: CatalogLocation = { s3, bucket: config.connection.s3Bucket, prefix: env.AMI_CATALOG_PREFIX! };
  const watcher = new CatalogWatcher(loc, TZ);
  const jobs = new BatchJobs({
    connection: bullConnection,
    settings: loadBatchJobSettings(processEnv),
    timeZone: TZ,
  });
  const dirtyDays = new DirtyDays(redis, env.AMI_ARCHIVER_DIRTY_KEY_PREFIX!);
  const headEnd = new HeadEnd(
    kafka,
    new Map([
      [env.AMI_TOPIC_READS!, PARTITIONS],
      [env.AMI_TOPIC_EVENTS!, PARTITIONS],
    ]),
  );
  const reports: PhaseReport[] = [];
  let platform: PlatformProcesses;
  let run: SimRun;
  let produced: ProducedReads;
  let slices: OutboundMessage[][];
  let nextSlice = 0;
  /** Simulator truth: `meter|startMs` → Wh. */
  const truth = new Map<string, number>();
  const suiteStart = Date.now();
  let setupS = 0;

  const api = (path: string, role = 'analyst') =>
    fetch(`http://127.0.0.1:${platform.ports.api}${path}`, { headers: { 'x-api-key': key(role) } });

  beforeAll(async () => {
    run = await runSimulation({
      meters: METERS,
      days: DAYS,
      startDate: firstDay,
      seed: SEED,
      timeZone: TZ,
      faults: {
        duplicate: 0.02,
        correction: 0.01,
        late: 0.005,
        out_of_order: 0.01,
        malformed_json: 0.002,
        schema_violation: 0.002,
        out_of_range: 0.002,
        unknown_meter: 0.002,
      },
    });
    for (const line of run.truthLines) {
      const t = JSON.parse(line) as {
        fault?: string;
        meter_id?: string;
        interval_start?: string;
        wh?: number;
      };
      if (t.fault === undefined) truth.set(`${t.meter_id}|${parseIsoInstant(t.interval_start!)}`, t.wh!);
    }
    produced = new ProducedReads(run.topology, TZ);
    const messages: OutboundMessage[] = [
      ...run.reads.map((m) => ({ topic: env.AMI_TOPIC_READS!, ...m })),
      ...run.events.map((m) => ({ topic: env.AMI_TOPIC_EVENTS!, ...m })),
    ];
    const size = Math.ceil(messages.length / SLICES);
    slices = Array.from({ length: SLICES }, (_, i) => messages.slice(i * size, (i + 1) * size));

    const topologyFile = join(work, 'topology.jsonl');
    writeFileSync(topologyFile, run.topology.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await createTopics(admin, platformTopics(env));
    rmSync(logDir, { recursive: true, force: true });
    mkdirSync(logDir, { recursive: true });
    // Restarted processes listen again: keep them off ephemeral ports (see freePrivatePorts).
    const [api, speedMetrics, archiverMetrics, batchMetrics] = (await freePrivatePorts(4)) as [
      number,
      number,
      number,
      number,
    ];
    platform = new PlatformProcesses({
      cwd: ROOT,
      logDir,
      env: processEnv,
      platform: {
        ports: { api, speedMetrics, archiverMetrics, batchMetrics },
        topologyFile,
        apiKeysJson: JSON.stringify(keys.entries),
        pseudonymSecret: 'chaos-pseudonym-secret-0123456789',
      },
    });
    for (const name of ['speed-layer', 'archiver', 'batch-worker', 'api'] as const)
      await platform.start(name);
    watcher.start();
    setupS = (Date.now() - suiteStart) / 1000;
  }, 600_000);

  afterAll(async () => {
    await watcher.stop();
    await platform?.stopAll();
    await headEnd.close();
    await jobs.close();
    await admin.close().catch(() => undefined);
    redis.disconnect();
    bullConnection.disconnect();
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
    const summary = {
      meters: METERS,
      days,
      partitions: PARTITIONS,
      messages: slices?.reduce((n, s) => n + s.length, 0),
      setupS,
      suiteS: (Date.now() - suiteStart) / 1000,
      catalogVersionsSeen: watcher.seen,
      catalogPollsFailed: watcher.failedPolls,
      phases: reports,
      supervisorEvents: platform?.events,
    };
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'chaos-report.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(
      `\nchaos summary: ${summary.messages} messages, setup ${setupS.toFixed(0)} s, suite ${summary.suiteS.toFixed(0)} s\n` +
        reports
          .map(
            (r) =>
              `  ${r.fault}: ${r.totalS.toFixed(1)} s (stream ${r.streamS.toFixed(1)} s, settle ${r.settleS.toFixed(1)} s), ` +
              `realtime ${r.realtimeCompared} values, ${r.intervalsCompared} intervals, ${r.meterDaysCompared} meter-days, ` +
              `${r.catalogVersions} catalog versions; ${JSON.stringify(r.detail)}`,
          )
          .join('\n') +
        '\n',
    );
  }, 120_000);

  /** Everything consumed by both consumer groups, archived data built, no build pending. */
  async function settle(label: string): Promise<void> {
    const target = await until(
      `${label}: end offsets`,
      () => endOffsets(admin, [env.AMI_TOPIC_READS!, env.AMI_TOPIC_EVENTS!]),
      120_000,
    );
    for (const group of [env.AMI_SPEED_GROUP_ID!, env.AMI_ARCHIVER_GROUP_ID!])
      await until(
        `${label}: ${group} to consume everything`,
        async () => ((await behindTarget(admin, group, target)) === 0n ? true : undefined),
        300_000,
      );
    await until(
      `${label}: every dirty day built and no build pending`,
      async () => {
        if ((await dirtyDays.listDirty()).length > 0) return undefined;
        return (await pendingBuilds()).length === 0 ? true : undefined;
      },
      300_000,
      1000,
      async () =>
        `dirty ${JSON.stringify(await dirtyDays.listDirty())}, pending ${(await pendingBuilds()).map((j) => j.id).join(', ')}, ` +
        `failed ${(await jobs.queue.getFailed()).map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`,
    );
  }

  async function pendingBuilds(): Promise<Job[]> {
    const list = await jobs.queue.getJobs([
      'active',
      'waiting',
      'delayed',
      'prioritized',
      'waiting-children',
    ]);
    return list.filter((j): j is Job => j !== undefined && (j.name === 'build-day' || j.name === 'backfill'));
  }

  /** An active build-day job in one of `phases`, polled every 40 ms until `stopWaiting()` says so. */
  async function activeBuild(
    phases: readonly string[],
    stopWaiting: () => boolean,
    timeoutMs = 240_000,
  ): Promise<{ id: string; date: string; phase: string } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!stopWaiting()) {
      if (Date.now() > deadline)
        throw new Error(`no build in phase ${phases.join('|')} within ${timeoutMs / 1000} s`);
      try {
        for (const j of await jobs.queue.getActive()) {
          const phase = (j.progress as { phase?: string } | undefined)?.phase;
          if (j.name === 'build-day' && phase !== undefined && phases.includes(phase))
            return { id: j.id!, date: (j.data as { date: string }).date, phase };
        }
      } catch {
        // Redis restarting: try again
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    return undefined;
  }

  /** Lines of a platform process's log that contain `text`. */
  function countInLog(name: string, text: string): number {
    const file = join(logDir, `${name}.log`);
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes(text)).length
      : 0;
  }

  /** Compares the realtime view, the API and the catalog with what was produced so far. */
  async function verify(
    label: string,
    final: boolean,
  ): Promise<
    Pick<PhaseReport, 'realtimeCompared' | 'intervalsCompared' | 'meterDaysCompared' | 'catalogVersions'>
  > {
    // Realtime view (Redis) = produced reads, latest wins.
    const expected = produced.view(run);
    const actual = await realtimeViewOf(redis, env.AMI_SPEED_KEY_PREFIX!, PARTITIONS, run);
    const diff = diffViews(expected, actual);
    expect(
      diff.count,
      `${label}: realtime view differs from the produced reads:\n${diff.first.join('\n')}`,
    ).toBe(0);

    // Catalog: complete days only, every day with data published.
    const chain = await checkCatalogChain(loc, TZ);
    expect(chain.problems, `${label}: catalog`).toEqual([]);
    const latest = chain.latest!;
    const published = new Set(
      Object.keys(latest.views.meter_daily?.partitions ?? {}).map((p) => p.slice('date='.length)),
    );
    for (const d of produced.dates())
      expect(published, `${label}: ${d} has data but is not published`).toContain(d);
    // The API serves the latest version.
    await until(
      `${label}: the API to serve catalog ${versionOf(latest.seq)}`,
      async () => {
        const r = await api('/v1/catalog', 'operator');
        const body = (await r.json()) as { version?: string };
        return body.version === versionOf(latest.seq) ? true : undefined;
      },
      60_000,
    );

    // Authoritative intervals and meter-days through the API.
    const from = formatIsoOffset(localDayBounds(days[0]!, TZ).startMs, TZ);
    const to = formatIsoOffset(localDayBounds(days.at(-1)!, TZ).endMs, TZ);
    const problems: string[] = [];
    let intervals = 0;
    let meterDays = 0;
    for (const row of run.topology) {
      const m = row.meter_id;
      const r15 = await api(
        `/v1/meters/${m}/series?${new URLSearchParams({ from, to, step: '15m' }).toString()}`,
      );
      expect(r15.status).toBe(200);
      const s15 = (await r15.json()) as Series;
      const dayOk = new Map<string, boolean>();
      for (const p of s15.points) {
        const startMs = parseIsoInstant(p.start);
        const date = localDate(startMs, TZ);
        if (!published.has(date)) continue;
        const k = `${m}|${startMs}`;
        const t = truth.get(k);
        const e = produced.wh(m, startMs);
        const wh = p.kwh === null ? null : Math.round(p.kwh * 1000);
        const complete = e !== undefined && e === t;
        dayOk.set(date, (dayOk.get(date) ?? true) && complete);
        if (complete) {
          if (p.status !== 'authoritative' || p.quality?.actual !== 1 || wh !== t)
            problems.push(
              `${k}: expected authoritative actual ${t} Wh, got ${JSON.stringify({ status: p.status, wh, quality: p.quality })}`,
            );
          intervals++;
        } else if (e === undefined) {
          // Never produced: estimated or missing, never an actual value, never served from Redis.
          if (p.status === 'provisional' || p.quality?.actual !== 0)
            problems.push(
              `${k}: never produced, got ${JSON.stringify({ status: p.status, wh, quality: p.quality })}`,
            );
          intervals++;
        }
      }
      const r1d = await api(
        `/v1/meters/${m}/series?${new URLSearchParams({ from, to, step: '1d' }).toString()}`,
      );
      expect(r1d.status).toBe(200);
      for (const p of ((await r1d.json()) as Series).points) {
        const date = localDate(parseIsoInstant(p.start), TZ);
        if (!published.has(date) || dayOk.get(date) !== true) continue;
        const { startMs, endMs } = localDayBounds(date, TZ);
        let want = 0;
        for (let t = startMs; t < endMs; t += INTERVAL_MS) want += truth.get(`${m}|${t}`)!;
        const got = p.kwh === null ? null : Math.round(p.kwh * 1000);
        if (got !== want) problems.push(`${m} ${date}: day total ${got} Wh, truth ${want} Wh`);
        meterDays++;
      }
    }
    expect(problems.slice(0, 20), `${label}: ${problems.length} authoritative value(s) wrong`).toEqual([]);
    if (final) {
      expect(intervals).toBe(METERS * days.reduce((n, d) => n + intervalsInLocalDay(d, TZ), 0));
      expect(meterDays).toBe(METERS * DAYS);
    }
    return {
      realtimeCompared: diff.compared,
      intervalsCompared: intervals,
      meterDaysCompared: meterDays,
      catalogVersions: chain.versions,
    };
  }

  /**
   * Streams the next slice while `inject` breaks something, settles, verifies, reports.
   * `inject` gets the slice's progress: `streamed(f)` resolves once that fraction is acknowledged.
   */
  async function phase(
    fault: string,
    inject: (p: {
      streamed: (fraction: number) => Promise<void>;
      done: () => boolean;
    }) => Promise<Record<string, unknown>>,
  ): Promise<void> {
    const t0 = Date.now();
    const slice = slices[nextSlice++]!;
    let sent = 0;
    let finished = false;
    const waiters: { n: number; resolve: () => void }[] = [];
    const streaming = headEnd
      .stream(slice, {
        ratePerS: RATE,
        onProgress: (n) => {
          sent = n;
          for (const w of waiters.filter((x) => x.n <= n)) w.resolve();
        },
      })
      .finally(() => {
        finished = true;
        for (const w of waiters) w.resolve();
      });
    const streamed = (fraction: number) =>
      new Promise<void>((resolve) => {
        const n = Math.ceil(slice.length * fraction);
        if (sent >= n || finished) resolve();
        else waiters.push({ n, resolve });
      });
    const [detail, stats] = await Promise.all([inject({ streamed, done: () => finished }), streaming]);
    const nowMs = Date.now();
    for (const m of slice) if (m.topic === env.AMI_TOPIC_READS) produced.add(m.value, nowMs);
    const settledFrom = Date.now();
    await settle(fault);
    const settleS = (Date.now() - settledFrom) / 1000;
    const counts = await verify(fault, nextSlice === SLICES);
    reports.push({
      fault,
      totalS: (Date.now() - t0) / 1000,
      streamS: stats.ms / 1000,
      settleS,
      messages: slice.length,
      resentBatches: stats.resent,
      ...counts,
      detail,
    });
  }

  it('1: the speed layer is SIGKILLed mid-stream and restarted by its supervisor', async () => {
    await phase('speed-layer SIGKILL', async ({ streamed }) => {
      await streamed(0.3);
      const before = platform.status('speed-layer').restarts;
      const pid = platform.kill('speed-layer', 'SIGKILL');
      await platform.restarted('speed-layer', before);
      return { killedPid: pid, restarts: platform.status('speed-layer').restarts };
    });
  });

  it('2: the archiver is SIGKILLed mid-stream and restarted by its supervisor', async () => {
    await phase('archiver SIGKILL', async ({ streamed }) => {
      await streamed(0.3);
      const before = platform.status('archiver').restarts;
      const pid = platform.kill('archiver', 'SIGKILL');
      await platform.restarted('archiver', before);
      return { killedPid: pid, restarts: platform.status('archiver').restarts };
    });
  });

  it('3: the batch worker is SIGKILLed while building and publishing a day; the stalled build is recovered', async () => {
    await phase('batch-worker SIGKILL during a build', async ({ done }) => {
      // Best: the publish itself (uploads + catalog commit); while the slice streams, builds run every few seconds.
      let hit = await activeBuild(['publish'], done);
      let forced = false;
      if (hit === undefined) {
        forced = true;
        for (const d of days) await jobs.enqueueRebuild(d, 'backfill');
        hit = await activeBuild(['views', 'publish'], () => false);
      }
      const before = platform.status('batch-worker').restarts;
      platform.kill('batch-worker', 'SIGKILL');
      await platform.restarted('batch-worker', before);
      const job = await until(
        `the killed build ${hit!.id} to complete after recovery`,
        async () => {
          const p = await jobs.getProgress(hit!.id);
          return p?.state === 'completed' ? p : undefined;
        },
        240_000,
        1000,
      );
      return {
        killedIn: hit!.phase,
        date: hit!.date,
        job: hit!.id,
        forcedRebuild: forced,
        attemptsMade: job.attemptsMade,
      };
    });
  });

  it('4: Kafka is restarted mid-stream', async () => {
    await phase('Kafka restart', async ({ streamed }) => {
      await streamed(0.3);
      const t = Date.now();
      await infra.stop('kafka');
      await infra.start();
      return { kafkaDownS: (Date.now() - t) / 1000 };
    });
  });

  it('5a: Redis is SIGKILLed mid-stream and restarted from its AOF', async () => {
    await phase('Redis SIGKILL + restart (AOF)', async ({ streamed }) => {
      await streamed(0.3);
      const t = Date.now();
      await infra.kill('redis');
      await infra.start();
      return { redisDownS: (Date.now() - t) / 1000 };
    });
  });

  it('5b: Redis comes back with an older copy of its data (lost writes) while the speed layer runs; it rewinds by itself', async () => {
    await phase('Redis restored to an older state', async ({ streamed }) => {
      // A failover to a replica that lagged, or a machine crash losing the last second of the AOF:
      // the realtime view and its fences go back in time, the committed Kafka offsets do not.
      await streamed(0.2);
      const rewindsBefore = countInLog('speed-layer', 'Redis fence went back');
      const copy = join(work, 'redis-copy');
      infra.copyRedisData(copy);
      await streamed(0.6);
      const t = Date.now();
      await infra.kill('redis');
      infra.restoreRedisData(copy);
      await infra.start();
      const redisDownS = (Date.now() - t) / 1000;
      // The speed layer says so in its log when it rewinds.
      await until(
        'the speed layer to rewind to the restored fences',
        () =>
          Promise.resolve(
            countInLog('speed-layer', 'Redis fence went back') > rewindsBefore ? true : undefined,
          ),
        120_000,
      );
      return { redisDownS, rewinds: countInLog('speed-layer', 'Redis fence went back') - rewindsBefore };
    });
  });

  it('5c: Redis comes back empty with the speed layer; the documented replay procedure rebuilds the provisional state', async () => {
    await phase('Redis data loss + speed replay', async ({ streamed }) => {
      await streamed(0.3);
      // The node is lost: the speed layer goes down with Redis, and Redis comes back empty. (A speed
      // layer that keeps running notices by itself, see 5b; one that starts afresh finds no fence and
      // cannot tell a lost view from a new one, so it goes on from its committed offsets.)
      await platform.stop('speed-layer');
      const t = Date.now();
      await infra.kill('redis');
      infra.wipeRedisData();
      await infra.start();
      const redisDownS = (Date.now() - t) / 1000;
      // The first day was streamed by earlier slices: its meter-days are gone with Redis's data.
      const lostMeterDays = (
        await Promise.all(
          run.topology.map(async (r) =>
            (
              await readMeterDay(redis, env.AMI_SPEED_KEY_PREFIX!, PARTITIONS, r.meter_id, days[0]!)
            ).intervals.some((x) => x !== undefined)
              ? 0
              : 1,
          ),
        )
      ).reduce<number>((a, b) => a + b, 0);
      expect(lostMeterDays).toBe(METERS);
      // docs/operator-guide.md §11 "Rebuilding the realtime view": with the speed layer stopped, replay, start it.
      const replay = await runCli(ROOT, processEnv, ['speed', 'replay', '--execute']);
      expect(replay.code, replay.stderr).toBe(0);
      const replayFrom = Date.now();
      await platform.start('speed-layer');
      const replayed = await endOffsets(admin, [env.AMI_TOPIC_READS!]);
      await until(
        'the speed layer to replay the reads topic',
        async () =>
          (await behindTarget(admin, env.AMI_SPEED_GROUP_ID!, replayed)) === 0n ? true : undefined,
        300_000,
        200,
      );
      const replayS = (Date.now() - replayFrom) / 1000;
      // Batch: a restarted worker creates its schedulers again; the lost dirty marks are covered by a backfill.
      const before = platform.status('batch-worker').restarts;
      platform.kill('batch-worker', 'SIGTERM');
      await platform.restarted('batch-worker', before);
      const backfill = await runCli(ROOT, processEnv, [
        'backfill',
        '--from',
        days[0]!,
        '--to',
        days.at(-1)!,
        '--timeout',
        '300',
      ]);
      expect(backfill.code, backfill.stderr).toBe(0);
      return { redisDownS, lostMeterDays, replayS, replay: replay.stdout.trim().split('\n') };
    });
  });

  it('6: MinIO is unavailable while a day is built; the publish fails, is retried and completes', async () => {
    await phase('MinIO outage during a publish', async ({ done }) => {
      // Stopped while a build is past loading (views being written or published): its publish cannot succeed.
      let hit = await activeBuild(['vee', 'views', 'publish'], done);
      let forced = false;
      if (hit === undefined) {
        forced = true;
        for (const d of days) await jobs.enqueueRebuild(d, 'backfill');
        hit = await activeBuild(['vee', 'views', 'publish'], () => false);
      }
      const t = Date.now();
      await infra.kill('minio');
      const failed = await until(
        `build ${hit!.id} to fail an attempt while MinIO is down`,
        async () => {
          const p = await jobs.getProgress(hit!.id);
          if (p === null) return undefined;
          if (p.state === 'completed') return { completedAnyway: true, attemptsMade: p.attemptsMade };
          return p.attemptsMade >= 1 ? { completedAnyway: false, attemptsMade: p.attemptsMade } : undefined;
        },
        120_000,
        200,
      );
      await infra.start();
      const minioDownS = (Date.now() - t) / 1000;
      const job = await until(
        `build ${hit!.id} to complete after MinIO is back`,
        async () => {
          const p = await jobs.getProgress(hit!.id);
          return p?.state === 'completed' ? p : undefined;
        },
        240_000,
        1000,
      );
      expect(failed.completedAnyway).toBe(false);
      return {
        stoppedIn: hit!.phase,
        date: hit!.date,
        job: hit!.id,
        forcedRebuild: forced,
        minioDownS,
        attemptsMade: job.attemptsMade,
      };
    });
  });

  it('ends with both layers equal to the simulator truth everywhere, and no partial publication ever seen', () => {
    expect(nextSlice).toBe(SLICES);
    // The faults of the stream keep the truth deliverable: the produced reads are the truth.
    const fromTruth = expectedFromTruth(run);
    const diff = diffViews(fromTruth, produced.view(run));
    expect(diff.count, diff.first.join('\n')).toBe(0);
    expect(fromTruth.intervals.size).toBe(METERS * days.reduce((n, d) => n + intervalsInLocalDay(d, TZ), 0));
    // verify() of the last slice compared everything with the truth (final = true).
    expect(reports.at(-1)?.intervalsCompared).toBe(fromTruth.intervals.size);
    expect(watcher.problems).toEqual([]);
    expect(watcher.seen).toBeGreaterThan(0);
  });
});
