/**
 * Settings of the BullMQ batch jobs (SPEC 5 "Scheduling with BullMQ"): queue, schedules, retries,
 * stalled-job recovery, concurrency. Exported as `batchJobSettings` for `pnpm ami config`.
 */
import {
  ConfigError,
  connectionSettings,
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';

/** A BullMQ queue name or key prefix: BullMQ forbids ':' in queue names; we also keep keys simple. */
export function parseQueueName(raw: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw new Error('must be 1–64 characters of [A-Za-z0-9._-]');
  return raw;
}

/**
 * A BullMQ key prefix: like a queue name, optionally with one Redis Cluster hash tag (`{bull}`,
 * `ami{batch}`), which cluster mode requires: BullMQ's scripts touch several keys of a queue at
 * once, and only a shared hash tag keeps them in one slot.
 */
export function parseQueuePrefix(raw: string): string {
  if (
    raw.length > 66 ||
    !/^[A-Za-z0-9._-]*(?:\{[A-Za-z0-9._-]+\})?[A-Za-z0-9._-]*$/.test(raw) ||
    raw === ''
  ) {
    throw new Error('must be 1–64 characters of [A-Za-z0-9._-], optionally with one hash tag such as {bull}');
  }
  return raw;
}

/** True when `prefix` carries a Redis Cluster hash tag (a non-empty `{…}`). */
export function hasHashTag(prefix: string): boolean {
  return /\{[^{}]+\}/.test(prefix);
}

const inClusterMode = (env: Env): boolean => (env.REDIS_CLUSTER_NODES ?? '').trim() !== '';

/** A five-field cron pattern (minute hour day-of-month month day-of-week); checked by shape only. */
export function parseCron(raw: string): string {
  const fields = raw.trim().split(/\s+/);
  if (fields.length !== 5 || fields.some((f) => !/^[0-9*,/?LW#A-Za-z-]+$/.test(f))) {
    throw new Error("must be a 5-field cron pattern such as '30 2 * * *'");
  }
  return fields.join(' ');
}

export const batchJobSettings = {
  queue: setting(
    'AMI_BATCH_QUEUE',
    'BullMQ queue of the batch jobs (build-day, sweep-dirty, nightly, backfill)',
    'ami-batch',
    parseQueueName,
  ),
  keyPrefix: setting(
    'AMI_BATCH_KEY_PREFIX',
    'Redis key prefix of the BullMQ queue (BullMQ `prefix`); with REDIS_CLUSTER_NODES it must contain a hash tag such as `{bull}` (the default there), so that all keys of the queue lie in one cluster slot',
    (env) => (inClusterMode(env) ? '{bull}' : 'bull'),
    parseQueuePrefix,
  ),
  schedule: setting(
    'AMI_BATCH_SCHEDULE',
    'Whether a batch worker process upserts the nightly and sweep job schedulers at start (idempotent; false for extra workers or tests)',
    'true',
    parse.bool,
  ),
  threads: setting(
    'AMI_BATCH_DUCKDB_THREADS',
    'DuckDB threads of a batch worker process',
    '2',
    parse.int(1, 256),
  ),
  nightlyCron: setting(
    'AMI_BATCH_NIGHTLY_CRON',
    'Cron pattern of the nightly build of yesterday, in local time (AMI_TIMEZONE)',
    '30 2 * * *',
    parseCron,
  ),
  sweepEveryS: setting(
    'AMI_BATCH_SWEEP_EVERY_S',
    'Period of the late-data sweep that rebuilds dirty days (seconds)',
    '300',
    parse.int(1, 86_400),
  ),
  relayEveryS: setting(
    'AMI_BATCH_RELAY_EVERY_S',
    'Period of the scheduled restatement relay run (seconds; it also runs after every committed build)',
    '60',
    parse.int(1, 86_400),
  ),
  sweepCap: setting(
    'AMI_BATCH_SWEEP_CAP',
    'Most build-day jobs one sweep enqueues (oldest dirty days first; the rest wait for the next sweep)',
    '31',
    parse.int(1, 10_000),
  ),
  sweepCloseDelayS: setting(
    'AMI_BATCH_SWEEP_CLOSE_DELAY_S',
    'A dirty day is swept only this long after its local end (keeps the open day out; default lets the nightly build yesterday first)',
    '10800',
    parse.int(0, 30 * 86_400),
  ),
  attempts: setting(
    'AMI_BATCH_ATTEMPTS',
    'Attempts of a build-day job before it fails (retries with exponential backoff)',
    '5',
    parse.int(1, 100),
  ),
  backoffMs: setting(
    'AMI_BATCH_BACKOFF_MS',
    'First retry delay of a failed build-day job (ms); doubles on every further attempt',
    '10000',
    parse.int(0, 3_600_000),
  ),
  concurrency: setting(
    'AMI_BATCH_CONCURRENCY',
    'Jobs one batch worker process runs at once',
    '1',
    parse.int(1, 64),
  ),
  lockDurationMs: setting(
    'AMI_BATCH_LOCK_DURATION_MS',
    'Lock of an active job (ms), renewed while it runs; a crashed worker’s job is recoverable after it expires. Also the TTL of the per-day build lock',
    '30000',
    parse.int(1000, 3_600_000),
  ),
  stalledIntervalMs: setting(
    'AMI_BATCH_STALLED_INTERVAL_MS',
    'How often a worker looks for stalled jobs (lock expired, e.g. the worker crashed) and moves them back to wait (ms)',
    '30000',
    parse.int(1000, 3_600_000),
  ),
  maxStalledCount: setting(
    'AMI_BATCH_MAX_STALLED_COUNT',
    'Times a job may stall (worker lost) and be recovered before it fails',
    '2',
    parse.int(0, 100),
  ),
  dayLockRetryMs: setting(
    'AMI_BATCH_DAY_LOCK_RETRY_MS',
    'When another build of the same day is running, the job is delayed this long and tried again (ms; not an attempt)',
    '5000',
    parse.int(10, 3_600_000),
  ),
  archiveWaitS: setting(
    'AMI_BATCH_ARCHIVE_WAIT_S',
    'Before a rebuild or backfill of a day (not a late-data sweep), how long to wait for the archiver to archive everything produced before the build was requested — it is asked to flush at once; then (or after 15 s when no archiver is running) the build fails naming the lagging partitions instead of publishing a day without them (seconds; 0 = do not check)',
    '120',
    parse.int(0, 3600),
  ),
  backfillMaxDays: setting(
    'AMI_BATCH_BACKFILL_MAX_DAYS',
    'Longest date range one backfill may cover (days, inclusive)',
    '400',
    parse.int(1, 10_000),
  ),
  keepCompletedS: setting(
    'AMI_BATCH_KEEP_COMPLETED_S',
    'How long completed jobs stay queryable (s); while kept, an enqueue with the same job id is a no-op',
    '86400',
    parse.int(0, 90 * 86_400),
  ),
  keepFailedS: setting(
    'AMI_BATCH_KEEP_FAILED_S',
    'How long failed jobs are kept for inspection (s); the sweep does not retry a day whose build for the same dirty mark failed (new data or a manual rebuild does)',
    '86400',
    parse.int(0, 90 * 86_400),
  ),
} as const satisfies SettingsSpec;

export type BatchJobSettings = SettingsOf<typeof batchJobSettings>;

/** Reads the settings; in cluster mode (REDIS_CLUSTER_NODES) the queue prefix must carry a hash tag. */
export function loadBatchJobSettings(env: Env = process.env): BatchJobSettings {
  const settings = readSettings(batchJobSettings, env);
  const { clusterNodes } = readSettings({ clusterNodes: connectionSettings.redisClusterNodes }, env);
  if (clusterNodes.length > 0 && !hasHashTag(settings.keyPrefix)) {
    throw new ConfigError([
      {
        env: batchJobSettings.keyPrefix.env,
        value: settings.keyPrefix,
        problem:
          'must contain a Redis Cluster hash tag such as {bull} when REDIS_CLUSTER_NODES is set ' +
          "(BullMQ's scripts touch several keys of the queue at once: they must share one slot)",
      },
    ]);
  }
  return settings;
}

/** Prometheus endpoint of a batch worker process (jobs/metrics.ts); a group of its own in `pnpm ami config`. */
export const batchMetricsSettings = {
  port: setting(
    'AMI_BATCH_METRICS_PORT',
    'Port of the batch worker’s /metrics on 127.0.0.1 (0 = any free port)',
    '9466',
    parse.int(0, 65_535),
  ),
  sampleMs: setting(
    'AMI_BATCH_METRICS_SAMPLE_MS',
    'How often the batch worker samples the queue depth and the catalog watermark for /metrics (ms)',
    '15000',
    parse.int(100, 3_600_000),
  ),
} as const satisfies SettingsSpec;

export type BatchMetricsSettings = SettingsOf<typeof batchMetricsSettings>;

export function loadBatchMetricsSettings(env: Env = process.env): BatchMetricsSettings {
  return readSettings(batchMetricsSettings, env);
}
