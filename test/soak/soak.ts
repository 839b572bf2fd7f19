/**
 * `pnpm test:soak [--minutes 30] [options]` — the soak run (issue 8; not part of vitest or CI).
 *
 * The whole platform — speed layer, archiver, batch worker with its schedulers, API — runs as
 * child processes exactly as `pnpm ami up` starts them (same process table and supervisor), on
 * the local Kafka/Redis/MinIO but isolated from everything else (own topics, groups, keys, S3
 * prefix, queue, ports; packages/cli/bench/lib/platform-run.ts). The simulator feeds it at 2× the
 * design peak (SPEC 9's freshness target is stated at 20,000 reads/s, so 40,000 reads/s by
 * default, `--rate`) for `--minutes`, replaying history of a `--meters` fleet that ends before today.
 * Every `--sample-s` seconds: each process's resident memory (procfs VmRSS) and V8 heap
 * (`ami_nodejs_heap_size_used_bytes` of its /metrics), and each consumer group's lag. After the
 * load stops it waits (≤ `--drain-minutes`) until every group's lag is back to zero.
 *
 * Writes bench/results/soak.json (offered and achieved rates; per process memory start/end/max and
 * the least-squares slope over the second half of the load; lag maximum and time to drain; the
 * verdict lines — see analysis.ts for the trend threshold), rewrites bench/results/summary.md
 * (soak section), and keeps every sample in test-artifacts/soak/samples.jsonl and the process logs
 * in test-artifacts/soak/. Afterwards the run's topics, groups, Redis keys and S3 objects are
 * deleted (`--keep` leaves them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ensureInfra } from '@ami/infra';
import { writeBenchResult, type Figure } from '@ami/shared/bench';
import { createRedis, createS3 } from '@ami/shared/clients';
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { addLocalDays, localDate } from '@ami/shared/time';
import { buildCalendar, buildFleet, topologyJsonl } from '@ami/simulator';
import type { PlatformProcess } from '@ami/cli/platform';
import { writeSummaryFile } from '@ami/cli/bench-results';
import { REPO_ROOT, runId, startPlatformRun, type PlatformRun } from '@ami/cli/bench-harness';
import {
  figureName,
  lagVerdict,
  memoryVerdict,
  processFigures,
  restartsFromPids,
  summarizeMemory,
  type Point,
} from './analysis.ts';
import { KAFKA_BYTES_PER_READ, SOAK_HELP, historyDays, parseSoakArgs, type SoakOptions } from './options.ts';
import { committed, groupLag, rssMb, scrapeGauge, topicEnd } from './probes.ts';

const PROCESSES: readonly PlatformProcess[] = ['speed-layer', 'archiver', 'batch-worker', 'api'];
const GROUPS = { speed: 'speed-layer', archiver: 'archiver' } as const satisfies Record<
  string,
  PlatformProcess
>;
const HEAP_GAUGE = 'ami_nodejs_heap_size_used_bytes';
const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ProcSample {
  readonly pid: number | undefined;
  readonly rssMb: number | null;
  readonly heapMb: number | null;
}

interface Sample {
  readonly atMs: number;
  readonly phase: 'before' | 'load' | 'drain';
  readonly procs: Record<string, ProcSample>;
  readonly lag: Record<string, number | null>;
  readonly readsEnd: number | null;
}

class Soak {
  readonly samples: Sample[] = [];
  phase: Sample['phase'] = 'before';
  private sampling = true;
  private loop: Promise<void> | undefined;
  private readonly admin;
  private readonly redis;

  constructor(
    private readonly run: PlatformRun,
    private readonly o: SoakOptions,
    private readonly samplesFile: string,
  ) {
    this.admin = run.kafka.admin();
    this.redis = createRedis(run.config, { connectionName: `soak-${run.id}` });
  }

  get topics(): string[] {
    return [this.run.config.topics.reads, this.run.config.topics.events];
  }

  groupId(g: keyof typeof GROUPS): string {
    return this.run.groups[GROUPS[g]]!;
  }

  start(): void {
    this.loop = (async () => {
      while (this.sampling) {
        const t = Date.now();
        await this.sampleOnce();
        await sleep(Math.max(0, this.o.sampleS * 1000 - (Date.now() - t)));
      }
    })();
  }

  async sampleOnce(): Promise<Sample> {
    const status = this.run.supervisor.status();
    const procs: Record<string, ProcSample> = {};
    await Promise.all(
      PROCESSES.map(async (name) => {
        const pid = status.find((s) => s.name === name)?.pid;
        const heap = await scrapeGauge(this.run.metricsUrl(name), HEAP_GAUGE);
        procs[name] = { pid, rssMb: rssMb(pid), heapMb: heap === null ? null : heap / 2 ** 20 };
      }),
    );
    const lag: Record<string, number | null> = {};
    for (const g of Object.keys(GROUPS) as (keyof typeof GROUPS)[])
      lag[g] = await groupLag(this.admin, this.groupId(g), this.topics).catch(() => null);
    const readsEnd = await topicEnd(this.admin, this.run.config.topics.reads).catch(() => null);
    const s: Sample = { atMs: Date.now(), phase: this.phase, procs, lag, readsEnd };
    this.samples.push(s);
    appendFileSync(this.samplesFile, JSON.stringify(s) + '\n');
    const mem = PROCESSES.map((p) => `${p} ${procs[p]?.rssMb?.toFixed(0) ?? '?'}`).join(' ');
    log(
      `${this.phase} · reads in Kafka ${readsEnd?.toLocaleString('en-US') ?? '?'} · lag speed ${lag.speed ?? '?'} archiver ${lag.archiver ?? '?'} · RSS MB ${mem}`,
    );
    return s;
  }

  async committedReads(g: keyof typeof GROUPS): Promise<number> {
    return committed(this.admin, this.groupId(g), this.run.config.topics.reads);
  }

  async lagOf(g: keyof typeof GROUPS): Promise<number> {
    return groupLag(this.admin, this.groupId(g), this.topics);
  }

  async redisUsedMb(): Promise<number | null> {
    try {
      const m = /used_memory:(\d+)/.exec(await this.redis.info('memory'));
      return m ? Number(m[1]) / 2 ** 20 : null;
    } catch {
      return null;
    }
  }

  async readsEnd(): Promise<number> {
    return topicEnd(this.admin, this.run.config.topics.reads);
  }

  private stopped: Promise<void> | undefined;

  /** Stops sampling and disconnects (idempotent). */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.sampling = false;
      await this.loop;
      await this.admin.close();
      this.redis.disconnect();
    })());
  }
}

function checkDisk(o: SoakOptions): void {
  const cache = process.env.AMI_CACHE_DIR ?? join(homedir(), '.cache', 'ami-platform');
  const needGb = (o.rate * o.minutes * 60 * KAFKA_BYTES_PER_READ) / 1e9;
  if (!existsSync(cache)) {
    log(`the load puts ≈ ${needGb.toFixed(1)} GB into Kafka (deleted after the run)`);
    return;
  }
  const fs = statfsSync(cache);
  const freeGb = (fs.bavail * fs.bsize) / 1e9;
  log(
    `the load puts ≈ ${needGb.toFixed(1)} GB into Kafka (deleted after the run); ${freeGb.toFixed(0)} GB free`,
  );
  if (needGb > freeGb * 0.8 && !o.force)
    throw new Error(
      `not enough disk for the Kafka data: need ≈ ${needGb.toFixed(1)} GB, ${freeGb.toFixed(1)} GB free (--force to try anyway, or fewer --minutes)`,
    );
}

async function deleteS3Prefix(config: AmiConfig, prefix: string): Promise<number> {
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  let deleted = 0;
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).map((c) => c.Key).filter((k): k is string => k !== undefined);
      if (keys.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } finally {
    s3.destroy();
  }
  return deleted;
}

function memorySeries(
  samples: readonly Sample[],
  loadStartMs: number,
  proc: string,
  field: 'rssMb' | 'heapMb',
): Point[] {
  const out: Point[] = [];
  for (const s of samples) {
    const v = s.procs[proc]?.[field];
    if (v !== null && v !== undefined) out.push({ tMin: (s.atMs - loadStartMs) / 60_000, value: v });
  }
  return out;
}

async function main(): Promise<number> {
  let o: SoakOptions;
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n${SOAK_HELP}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(SOAK_HELP + '\n');
    return 0;
  }
  checkDisk(o);
  const infraEnv = await ensureInfra({ log: (l) => log(`infra: ${l}`) });
  const baseEnv = { ...process.env, ...infraEnv };
  const tz = loadConfig(baseEnv).connection.timeZone;
  const days = historyDays(o);
  const start = addLocalDays(localDate(Date.now(), tz), -(days + 1));
  const fleet = buildFleet(1, o.meters, buildCalendar(start, 1, tz).startMs);
  const id = runId('soak');
  const artifacts = join(REPO_ROOT, 'test-artifacts', 'soak');
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const samplesFile = join(artifacts, 'samples.jsonl');
  writeFileSync(samplesFile, '');
  const work = mkdtempSync(join(tmpdir(), 'ami-soak-'));
  const s3Prefix = `soak/${id}/`;
  log(
    `run ${id}: ${o.minutes} min at ${o.rate.toLocaleString('en-US')} reads/s, ${o.meters.toLocaleString('en-US')} meters, ` +
      `${days} days of history from ${start}, faults ${o.faults}; starting the platform`,
  );
  const run = await startPlatformRun({
    id,
    processes: PROCESSES,
    partitions: o.partitions,
    topologyJsonl: topologyJsonl(fleet),
    workDir: work,
    logDir: artifacts,
    baseEnv,
    extraEnv: {
      LOG_LEVEL: 'info',
      AMI_API_CACHE_DIR: join(work, 'api-cache'),
      AMI_ARCHIVER_FLUSH_AGE_S: String(o.archiverFlushAgeS),
      AMI_ARCHIVER_S3_PREFIX: s3Prefix,
      AMI_CATALOG_PREFIX: s3Prefix,
      AMI_EDITS_PREFIX: s3Prefix,
      AMI_RECONCILIATION_PREFIX: s3Prefix,
    },
  });
  const soak = new Soak(run, o, samplesFile);
  let sim: ChildProcess | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: stopping the load and cleaning up (no results written)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    soak.start();
    await sleep(2 * o.sampleS * 1000); // baseline samples before the load

    const redisStartMb = await soak.redisUsedMb();
    const speedCommitted0 = await soak.committedReads('speed');
    const archiverCommitted0 = await soak.committedReads('archiver');
    const readsEnd0 = await soak.readsEnd();
    const loadStartMs = Date.now();
    soak.phase = 'load';
    const simLog = join(artifacts, 'simulator.log');
    sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/simulator/src/main.ts',
        ...['--to', 'kafka', '--meters', String(o.meters), '--days', String(days), '--start', start],
        ...['--seed', '1', '--rate', String(o.rate)],
        ...(o.faults === 'all' ? ['--faults', 'all'] : []),
      ],
      { cwd: REPO_ROOT, env: { ...run.env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    sim.stderr?.on('data', (b: Buffer) => appendFileSync(simLog, b));
    const simExited = new Promise<string>((resolve) =>
      sim!.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
    );
    let simEndedEarly: string | undefined;
    void simExited.then((how) => (simEndedEarly ??= how));
    const loadEndAt = loadStartMs + o.minutes * 60_000;
    while (Date.now() < loadEndAt && simEndedEarly === undefined && !interrupted) await sleep(500);
    const endedEarly = simEndedEarly;
    if (endedEarly === undefined) sim.kill('SIGTERM');
    await simExited;
    const loadEndMs = Date.now();
    if (endedEarly !== undefined)
      log(`the simulator ended before the time was up (${endedEarly}; see ${simLog})`);
    const loadS = (loadEndMs - loadStartMs) / 1000;
    const readsEnd1 = await soak.readsEnd();
    const speedCommitted1 = await soak.committedReads('speed');
    const archiverCommitted1 = await soak.committedReads('archiver');
    soak.phase = 'drain';

    // the lag back to zero: the producer is gone, so the log ends are final
    const drainS: Record<string, number | null> = { speed: null, archiver: null };
    const remaining: Record<string, number> = { speed: 0, archiver: 0 };
    const drainDeadline = loadEndMs + o.drainMinutes * 60_000;
    for (;;) {
      for (const g of ['speed', 'archiver'] as const) {
        if (drainS[g] !== null) continue;
        remaining[g] = await soak.lagOf(g).catch(() => remaining[g] ?? 0);
        if (remaining[g] === 0) drainS[g] = (Date.now() - loadEndMs) / 1000;
      }
      if ((drainS.speed !== null && drainS.archiver !== null) || interrupted || Date.now() > drainDeadline)
        break;
      await sleep(1000);
    }
    const waitedS = (Date.now() - loadEndMs) / 1000;
    await soak.sampleOnce();
    const redisEndMb = await soak.redisUsedMb();
    await soak.stop();
    if (interrupted) return 130;

    const loadMin = loadS / 60;
    const perProcess: Record<string, Figure> = {};
    const slopes = new Map<string, number | null>();
    for (const p of PROCESSES) {
      const rss = summarizeMemory(memorySeries(soak.samples, loadStartMs, p, 'rssMb'), loadMin);
      const heap = summarizeMemory(memorySeries(soak.samples, loadStartMs, p, 'heapMb'), loadMin);
      const restarts = restartsFromPids(soak.samples.map((s) => s.procs[p]?.pid));
      Object.assign(perProcess, processFigures(p, { rss, heap, restarts }));
      slopes.set(p, rss.slopePerMin);
    }
    const lagMax = (g: string) => Math.max(0, ...soak.samples.map((s) => s.lag[g] ?? 0), remaining[g] ?? 0);
    const drained = drainS.speed !== null && drainS.archiver !== null;
    const allDrainS = drained ? Math.max(drainS.speed!, drainS.archiver!) : null;
    const stillBehind = (remaining.speed ?? 0) + (remaining.archiver ?? 0);
    const round = (v: number | null, d = 1) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
    const figures: Record<string, Figure> = {
      minutes: o.minutes,
      quick: o.minutes < 30,
      load_s: round(loadS),
      offered_reads_per_s: o.rate,
      produced_reads_per_s: Math.round((readsEnd1 - readsEnd0) / loadS),
      meters: o.meters,
      history_days: days,
      faults: o.faults,
      partitions: o.partitions,
      sample_s: o.sampleS,
      samples: soak.samples.length,
      groups: 'speed,archiver',
      speed_consumed_reads_per_s: Math.round((speedCommitted1 - speedCommitted0) / loadS),
      speed_lag_max: lagMax('speed'),
      speed_drain_s: round(drainS.speed ?? null),
      archiver_consumed_reads_per_s: Math.round((archiverCommitted1 - archiverCommitted0) / loadS),
      archiver_lag_max: lagMax('archiver'),
      archiver_drain_s: round(drainS.archiver ?? null),
      archiver_flush_age_s: o.archiverFlushAgeS,
      lag_max: Math.max(lagMax('speed'), lagMax('archiver')),
      drained,
      drain_s: round(allDrainS),
      processes: PROCESSES.map(figureName).join(','),
      ...perProcess,
      slope_threshold_mb_per_min: o.maxSlopeMbPerMin,
      redis_used_start_mb: round(redisStartMb),
      redis_used_end_mb: round(redisEndMb),
      simulator_ended_early: endedEarly ?? null,
      memory_verdict: memoryVerdict(slopes, o.maxSlopeMbPerMin, loadMin),
      lag_verdict: lagVerdict(allDrainS, stillBehind, waitedS),
    };
    writeBenchResult('soak', figures);
    writeSummaryFile();
    log(String(figures.memory_verdict));
    log(String(figures.lag_verdict));
    return 0;
  } finally {
    sim?.kill('SIGTERM');
    await soak.stop().catch(() => undefined);
    await run.stop();
    if (!o.keep) {
      log('deleting the run’s topics, groups, Redis keys and S3 objects');
      await run.cleanup().catch((err: unknown) => log(`cleanup: ${String(err)}`));
      const n = await deleteS3Prefix(run.config, s3Prefix).catch((err: unknown) => {
        log(`S3 cleanup: ${String(err)}`);
        return 0;
      });
      log(`deleted ${n} S3 objects under ${s3Prefix}`);
    }
    rmSync(work, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
