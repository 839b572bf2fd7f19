/**
 * Operator commands of the batch layer (SPEC 7): `backfill`, `rebuild`, `rollback`, `reconcile`.
 * backfill/rebuild enqueue BullMQ jobs for the batch worker (a process started from
 * @ami/batch-layer's BATCH_WORKER_MAIN, e.g. by `pnpm ami up`, must be running) and follow their
 * progress; rollback commits a catalog version that points a view back to an earlier one; reconcile
 * compares the realtime view with the published views for a day.
 * Bad arguments: one line on stderr and exit 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogReader, catalogSettings, isViewName } from '@ami/shared/catalog';
import { S3ObjectCache, createRedis, createS3, openDuckDB } from '@ami/shared/clients';
import { loadConfig, readSettings } from '@ami/shared/config';
import { isValidLocalDate } from '@ami/shared/time';
import {
  loadBatchJobSettings,
  loadCatalogWriterSettings,
  loadReconciliationSettings,
} from '@ami/batch-layer';
import { CatalogPublisher } from '@ami/batch-layer/catalog';
import { BatchJobs, reconcileDay, type JobProgressView } from '@ami/batch-layer/commands';
import { speedLayerSettings } from '@ami/speed-layer';

/** A bad command line: the message is printed as one line and the exit code is 2. */
export class UsageError extends Error {}

const HELP = {
  backfill: `usage: pnpm ami backfill --from YYYY-MM-DD --to YYYY-MM-DD [--no-wait] [--timeout S]

Rebuilds every local day of the range (inclusive) as one BullMQ backfill job with a child per day,
and shows its progress until it ends (a batch worker must be running), then how many reads it found.
Each day is built only once the archiver has archived what was produced before the backfill (it is
asked to flush; AMI_BATCH_ARCHIVE_WAIT_S). --no-wait prints the job id and returns; --timeout gives
up waiting after S seconds (the job goes on).`,
  rebuild: `usage: pnpm ami rebuild --date YYYY-MM-DD [--no-wait] [--timeout S]

Rebuilds and republishes one local day (cause backfill) through the batch worker, once the archiver
has archived what was produced before (AMI_BATCH_ARCHIVE_WAIT_S), and says how many reads it found.`,
  rollback: `usage: pnpm ami rollback --view VIEW --version vN

Points VIEW back to catalog version vN (a new catalog version; history is kept). Views:
intervals_validated, meter_hourly, meter_daily, meter_monthly, grid_15m, grid_daily, billing_determinants.`,
  reconcile: `usage: pnpm ami reconcile --date YYYY-MM-DD

Compares provisional (realtime view) with authoritative (published) energy per transformer for the
day, stores the report in S3 and prints its totals.`,
} as const;

type Name = keyof typeof HELP;

function parse(name: Name, argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see pnpm ami ${name} --help)`);
  }
}

function date(name: Name, flag: string, v: string | boolean | undefined): string {
  if (typeof v !== 'string')
    throw new UsageError(`--${flag} YYYY-MM-DD is required (see pnpm ami ${name} --help)`);
  if (!isValidLocalDate(v)) throw new UsageError(`--${flag} ${v} is not a calendar date YYYY-MM-DD`);
  return v;
}

function seconds(v: string | boolean | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds`);
  return n;
}

/** One status line: a bar for a backfill, the phase for a build. */
export function progressLine(p: JobProgressView): string {
  const width = 30;
  const filled = Math.round(Math.max(0, Math.min(1, p.progress)) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const what = p.children
    ? `${p.children.done}/${p.children.total} days${p.children.failed > 0 ? `, ${p.children.failed} failed` : ''}`
    : `${Math.round(p.progress * 100)} %${p.phase ? ` (${p.phase})` : ''}`;
  return `${bar} ${what}  ${p.state}`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** `, waited 2.3 s for the archiver to flush` when the build's archive gate waited. */
function archiveWait(archive: unknown): string {
  if (typeof archive !== 'object' || archive === null) return '';
  const { waitedMs } = archive as { waitedMs?: unknown };
  return typeof waitedMs === 'number' && waitedMs > 0
    ? ` (waited ${(waitedMs / 1000).toFixed(1)} s for the archiver to flush)`
    : '';
}

/**
 * The outcome of a finished build-day or backfill job in one line (null for other results): how
 * many reads the build found in the master dataset — and, for a day built from none, that it was
 * (usually: its history was not produced or archived).
 */
export function resultLine(result: unknown): string | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  if (typeof r.reads !== 'number') return null;
  if (typeof r.from === 'string' && typeof r.to === 'string') {
    const empty = Array.isArray(r.daysWithoutReads) ? r.daysWithoutReads.map(String) : [];
    return (
      `backfill ${r.from} … ${r.to}: ${count(r.reads)} reads found over ${String(r.built)} day(s)` +
      (empty.length > 0 ? `; no reads found for ${empty.join(', ')}` : '')
    );
  }
  if (typeof r.date !== 'string') return null;
  const outcome =
    r.committed === true ? `published as ${String(r.version)}` : 'unchanged (same views as published)';
  return (
    `${r.date}: ${count(r.reads)} reads found${archiveWait(r.archive)}, ${outcome}` +
    (r.reads === 0 ? '; no reads in the master dataset for this day' : '')
  );
}

async function follow(jobs: BatchJobs, id: string, timeoutS: number | null): Promise<number> {
  const t0 = Date.now();
  const tty = process.stderr.isTTY;
  let last = '';
  for (;;) {
    const p = await jobs.getProgress(id);
    if (p === null) {
      process.stderr.write(`\njob ${id} not found (removed?)\n`);
      return 1;
    }
    const line = progressLine(p);
    if (line !== last) {
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (p.state === 'completed') {
      process.stderr.write(tty ? '\n' : '');
      const summary = resultLine(p.result);
      if (summary !== null) process.stdout.write(`${summary}\n`);
      return 0;
    }
    if (p.state === 'failed') {
      process.stderr.write(`${tty ? '\n' : ''}job ${id} failed: ${p.failedReason ?? 'unknown reason'}\n`);
      return 1;
    }
    if (timeoutS !== null && Date.now() - t0 > timeoutS * 1000) {
      process.stderr.write(
        `${tty ? '\n' : ''}still ${p.state} after ${timeoutS} s; the job goes on: ${id}\n`,
      );
      return 3;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function withJobs<T>(fn: (jobs: BatchJobs) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const connection = createRedis(config, { forBullMQ: true, connectionName: 'ami-cli' });
  const jobs = new BatchJobs({
    connection,
    settings: loadBatchJobSettings(),
    timeZone: config.connection.timeZone,
  });
  try {
    return await fn(jobs);
  } finally {
    await jobs.close();
    connection.disconnect();
  }
}

const RANGE_ERRORS = (err: unknown): never => {
  if (err instanceof RangeError) throw new UsageError(err.message);
  throw err;
};

export async function runBatchCommand(name: Name, argv: string[]): Promise<number> {
  try {
    return await run(name, argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ami ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function run(name: Name, argv: string[]): Promise<number> {
  switch (name) {
    case 'backfill':
      return runBackfill(argv);
    case 'rebuild':
      return runRebuild(argv);
    case 'rollback':
      return runRollback(argv);
    case 'reconcile':
      return runReconcile(argv);
  }
}

const WAIT_OPTIONS = { 'no-wait': { type: 'boolean' as const }, timeout: { type: 'string' as const } };

/** `backfill --from D --to D`: enqueues the backfill and follows it (unless --no-wait). */
async function runBackfill(argv: string[]): Promise<number> {
  const name = 'backfill';
  const v = parse(name, argv, { from: { type: 'string' }, to: { type: 'string' }, ...WAIT_OPTIONS });
  if (v.help) return help(name);
  const from = date(name, 'from', v.from);
  const to = date(name, 'to', v.to);
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  const timeoutS = seconds(v.timeout);
  return withJobs(async (jobs) => {
    const id = await jobs.enqueueBackfill(from, to).catch(RANGE_ERRORS);
    process.stdout.write(`${id}\n`);
    return v['no-wait'] ? 0 : follow(jobs, id, timeoutS);
  });
}

/** `rebuild --date D`: enqueues the day's rebuild and follows it (unless --no-wait). */
async function runRebuild(argv: string[]): Promise<number> {
  const name = 'rebuild';
  const v = parse(name, argv, { date: { type: 'string' }, ...WAIT_OPTIONS });
  if (v.help) return help(name);
  const day = date(name, 'date', v.date);
  const timeoutS = seconds(v.timeout);
  return withJobs(async (jobs) => {
    const r = await jobs.enqueueRebuild(day, 'backfill').catch(RANGE_ERRORS);
    process.stdout.write(`${r.id}\n`);
    return v['no-wait'] ? 0 : follow(jobs, r.id, timeoutS);
  });
}

/** `rollback --view V --version vN`: commits a catalog version pointing the view back to vN. */
async function runRollback(argv: string[]): Promise<number> {
  const name = 'rollback';
  const v = parse(name, argv, { view: { type: 'string' }, version: { type: 'string' } });
  if (v.help) return help(name);
  if (typeof v.view !== 'string' || !isViewName(v.view))
    throw new UsageError(`--view must be one of the batch views (see pnpm ami rollback --help)`);
  if (typeof v.version !== 'string' || !/^v?\d+$/.test(v.version))
    throw new UsageError(`--version must be a catalog version like v12`);
  const config = loadConfig();
  const s3 = createS3(config);
  try {
    const publisher = new CatalogPublisher({
      s3,
      bucket: config.connection.s3Bucket,
      prefix: readSettings(catalogSettings).prefix,
      timeZone: config.connection.timeZone,
      retentionMs: loadCatalogWriterSettings().retentionDays * 86_400_000,
    });
    const r = await publisher
      .rollback({
        view: v.view,
        to: v.version.startsWith('v') ? v.version : `v${v.version}`,
        cause: 'rollback',
      })
      .catch(RANGE_ERRORS);
    process.stdout.write(
      `${v.view} rolled back to ${v.version}: catalog ${r.version ?? '(unchanged)'}, ${r.changes.length} partition(s) changed, watermark ${r.watermark ?? 'none'}\n`,
    );
    return 0;
  } finally {
    s3.destroy();
  }
}

/** `reconcile --date D`: compares the realtime view with the published views of the day. */
async function runReconcile(argv: string[]): Promise<number> {
  const name = 'reconcile';
  const v = parse(name, argv, { date: { type: 'string' } });
  if (v.help) return help(name);
  const day = date(name, 'date', v.date);
  const config = loadConfig();
  const s3 = createS3(config);
  const redis = createRedis(config, { connectionName: 'ami-cli' });
  const dir = mkdtempSync(join(tmpdir(), 'ami-reconcile-'));
  const db = await openDuckDB({ threads: 2 });
  try {
    const bucket = config.connection.s3Bucket;
    const cache = new S3ObjectCache({ s3, bucket, dir });
    const report = await reconcileDay(
      {
        s3,
        bucket,
        prefix: loadReconciliationSettings().s3Prefix,
        timeZone: config.connection.timeZone,
        catalog: new CatalogReader({
          s3,
          bucket,
          prefix: readSettings(catalogSettings).prefix,
          cache,
          refreshMs: 0,
        }),
        db,
        realtime: {
          redis,
          keyPrefix: readSettings({ keyPrefix: speedLayerSettings.keyPrefix }).keyPrefix,
          partitions: config.topics.headendPartitions,
        },
      },
      day,
    );
    process.stdout.write(
      `${JSON.stringify({ date: report.date, provisional: report.provisional, totals: report.totals })}\n`,
    );
    return 0;
  } finally {
    db.closeSync();
    redis.disconnect();
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function help(name: Name): number {
  process.stdout.write(`${HELP[name]}\n`);
  return 0;
}
