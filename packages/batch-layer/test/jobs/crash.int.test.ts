/**
 * A batch worker process (src/jobs/main.ts, the real day builder over MinIO, DuckDB and the
 * catalog) is SIGKILLed while its build-day job is publishing. Afterwards the catalog shows the day
 * either not at all or completely (never a partial or mixed day); a second worker process recovers
 * the stalled job, the retry completes and publishes every view of the day; SIGTERM then stops that
 * worker cleanly (exit 0). The committed build's follow-up jobs run for real: the restatement relay
 * advances its cursor to the new snapshot and the day's reconciliation report is stored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, createS3 } from '@ami/shared/clients';
import { VIEW_PARTITIONING, VIEW_NAMES, type CatalogSnapshot } from '@ami/shared/catalog';
import { intervalsInLocalDay } from '@ami/shared/time';
import { uniqueName } from '../../../../test/support/config.ts';
import { CatalogPublisher } from '../../src/catalog/publisher.ts';
import { DirtyDays } from '../../src/archiver/dirty-days.ts';
import { readReconciliationReport } from '../../src/reconciliation/index.ts';
import { RelayCursor } from '../../src/restatements/index.ts';
import { BatchJobs, loadBatchJobSettings } from '../../src/jobs/index.ts';
import {
  TZ,
  archiveThroughKafka,
  batchScenario,
  createTopics,
  simulateFleet,
  type SimulatedFleet,
} from '../support/pipeline.ts';
import { createKafka, ensureTopics } from '@ami/shared/clients';

const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
const DATE = '2026-03-29'; // the 23-hour spring-forward day: 92 intervals
const METERS = 24;

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves with the first log line matching `pred`. */
  waitLine(
    what: string,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

const children: ChildProcess[] = [];

function startWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/batch-layer/src/jobs/main.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let buf = '';
  let raw = '';
  child.stderr?.on('data', (d: Buffer) => {
    raw += d.toString();
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a stack trace on fatal errors
      }
      lines.push(parsed);
      for (const w of [...waiters]) {
        if (w.pred(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    waitLine: (what, pred, timeoutMs = 120_000) => {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; worker output:\n${raw.slice(-4000)}`)),
          timeoutMs,
        );
        const onExit = () =>
          reject(new Error(`worker exited while waiting for ${what}:\n${raw.slice(-4000)}`));
        child.once('exit', onExit);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(l);
          },
        });
      });
    },
  };
}

/** All or nothing: the snapshot has no partition of the day, or every view's partition of it. */
function dayPartitions(snapshot: CatalogSnapshot | null): string[] {
  if (snapshot === null) return [];
  const present: string[] = [];
  for (const view of VIEW_NAMES) {
    const partition = VIEW_PARTITIONING[view] === 'date' ? `date=${DATE}` : `month=${DATE.slice(0, 7)}`;
    if (snapshot.views[view]?.partitions[partition] !== undefined) present.push(view);
  }
  return present;
}

describe('a batch worker SIGKILLed mid-publish (real builder, MinIO, Redis)', () => {
  const s = batchScenario('jobcrash');
  const s3 = createS3(s.config);
  const redis = createRedis(s.config);
  const dir = mkdtempSync(join(tmpdir(), 'ami-jobs-crash-'));
  const queueEnv = {
    AMI_BATCH_QUEUE: uniqueName('crash'),
    AMI_BATCH_KEY_PREFIX: uniqueName('bt'),
    AMI_BATCH_SCHEDULE: 'false',
    AMI_BATCH_METRICS_PORT: '0',
    AMI_BATCH_LOCK_DURATION_MS: '2000',
    AMI_BATCH_STALLED_INTERVAL_MS: '1000',
    AMI_BATCH_BACKOFF_MS: '100',
    AMI_BATCH_DAY_LOCK_RETRY_MS: '200',
    AMI_TOPIC_RESTATEMENTS: `${s.id}.restatements`,
    AMI_RESTATEMENT_CURSOR_PREFIX: s.id,
    AMI_RECONCILIATION_PREFIX: `it/${s.id}/`,
  };
  const settings = loadBatchJobSettings(queueEnv);
  const connection = createRedis(s.config, { forBullMQ: true });
  const jobs = new BatchJobs({ connection, settings, timeZone: TZ });
  let fleet: SimulatedFleet;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fleet = await simulateFleet({ meters: METERS, days: 2, startDate: DATE, seed: 11 });
    const kafka = createKafka(s.config);
    await createTopics(kafka, s.config);
    await ensureTopics(kafka, [{ topic: queueEnv.AMI_TOPIC_RESTATEMENTS, numPartitions: 1 }]);
    await archiveThroughKafka(s, { s3, redis }, fleet);
    const topologyFile = join(dir, 'topology.jsonl');
    writeFileSync(topologyFile, fleet.topology.map((r) => JSON.stringify(r)).join('\n') + '\n');
    env = {
      ...process.env,
      ...inject('infraEnv'),
      ...s.overrides,
      ...queueEnv,
      AMI_TOPOLOGY_FILE: topologyFile,
      AMI_CACHE_DIR: join(dir, 'cache'),
      LOG_LEVEL: 'info',
    };
  }, 240_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await jobs.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no partial publication; the recovered retry publishes the whole day', async () => {
    const dirty = new DirtyDays(redis, s.id);
    expect((await dirty.listDirty()).map((d) => d.date)).toContain(DATE);
    const publisher = new CatalogPublisher({
      s3,
      bucket: s.config.connection.s3Bucket,
      prefix: `it/${s.id}/`,
      timeZone: TZ,
      retentionMs: 86_400_000,
    });
    expect((await publisher.current()).snapshot).toBeNull();

    const { id } = await jobs.enqueueRebuild(DATE, 'backfill', 'crash');
    const a = startWorker(env);
    await a.waitLine('worker A to enter the publish phase', (l) => {
      const p = l.progress as { phase?: string } | undefined;
      return l.event === 'progress' && l.jobId === id && p?.phase === 'publish';
    });
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    // killed before the job finished: it is still active (its lock expires; nobody completed it)
    expect(await (await jobs.queue.getJob(id))!.getState()).toBe('active');
    const afterKill = dayPartitions((await publisher.current()).snapshot);
    expect([0, VIEW_NAMES.length]).toContain(afterKill.length);

    const b = startWorker(env);
    await b.waitLine('worker B to complete the job', (l) => l.event === 'completed' && l.jobId === id);
    const job = (await jobs.queue.getJob(id))!;
    expect(await job.getState()).toBe('completed');
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1); // recovered as stalled, not as a failed attempt
    expect(job.returnvalue).toMatchObject({ date: DATE, cause: 'backfill', dirtyCleared: true });
    expect(b.lines.some((l) => l.event === 'stalled' && l.jobId === id)).toBe(true);

    const { snapshot } = await publisher.current();
    expect(dayPartitions(snapshot).sort()).toEqual([...VIEW_NAMES].sort());
    const iv = snapshot!.views.intervals_validated!.partitions[`date=${DATE}`]!;
    expect(iv.rows).toBe(METERS * intervalsInLocalDay(DATE, TZ));
    expect((await dirty.listDirty()).map((d) => d.date)).not.toContain(DATE);

    // follow-ups of the committed build: the restatement relay and the day's reconciliation report
    await b.waitLine('the reconcile job', (l) => l.event === 'completed' && l.name === 'reconcile');
    await b.waitLine('the relay job', (l) => l.event === 'completed' && l.name === 'relay-restatements');
    const report = await readReconciliationReport(s3, s.config.connection.s3Bucket, `it/${s.id}/`, DATE);
    expect(report).toMatchObject({ date: DATE, provisional: 'unavailable' }); // no speed layer ran here
    expect(report!.transformers.length).toBe(new Set(fleet.topology.map((t) => t.transformer_id)).size);
    expect(await new RelayCursor(redis, s.id).get()).toBe(snapshot!.seq);

    b.child.kill('SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
  });
});
