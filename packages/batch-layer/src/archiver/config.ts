/**
 * Archiver settings (environment, with defaults; `readSettings` reports every bad one at once).
 * Exported as `archiverSettings` for `pnpm ami config`.
 */
import {
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';

/** An S3 key prefix: empty, or path segments of safe characters ending in '/'. */
export function parseKeyPrefix(raw: string): string {
  if (raw === '') return '';
  if (!/^([A-Za-z0-9._=-]+\/)+$/.test(raw) || raw.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error("must be empty or path segments of [A-Za-z0-9._=-] ending in '/', e.g. lake/");
  }
  return raw;
}

/** A Redis key prefix without spaces or braces (the dirty-day key adds its own hash tag). */
export function parseRedisPrefix(raw: string): string {
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(raw)) throw new Error('must be 1–64 characters of [A-Za-z0-9:._-]');
  return raw;
}

export const archiverSettings = {
  groupId: setting(
    'AMI_ARCHIVER_GROUP_ID',
    'Kafka consumer group of the archiver (its own, independent of the speed layer)',
    'ami-archiver',
    parse.string({ nonEmpty: true }),
  ),
  flushRows: setting(
    'AMI_ARCHIVER_FLUSH_ROWS',
    'Messages buffered per topic partition before its Parquet files are written and the offset committed',
    '200000',
    parse.int(1, 5_000_000),
  ),
  flushAgeS: setting(
    'AMI_ARCHIVER_FLUSH_AGE_S',
    'Longest a buffered message waits before its partition is flushed (seconds); longer = more reads per meter per file = fewer bytes per read (docs/adr/0006). A rebuild or backfill does not wait for it: it asks the archiver to flush at once (AMI_BATCH_ARCHIVE_WAIT_S)',
    '3600',
    parse.int(1, 86_400),
  ),
  maxBufferedRows: setting(
    'AMI_ARCHIVER_MAX_BUFFERED_ROWS',
    'Bound of messages buffered by one process over all partitions; above it the fullest partition is flushed',
    '1000000',
    parse.int(1, 50_000_000),
  ),
  s3Prefix: setting(
    'AMI_ARCHIVER_S3_PREFIX',
    "Key prefix of the master dataset in S3_BUCKET (empty = bucket root: raw/…, quarantine/…); ends in '/'",
    '',
    parseKeyPrefix,
  ),
  dirtyKeyPrefix: setting(
    'AMI_ARCHIVER_DIRTY_KEY_PREFIX',
    'Prefix of the Redis key of the dirty-day marks (`<prefix>:{dirty-days}`)',
    'batch',
    parseRedisPrefix,
  ),
  zstdLevel: setting(
    'AMI_ARCHIVER_ZSTD_LEVEL',
    'ZSTD level of the archived Parquet files (1 fastest – 22 smallest)',
    '9',
    parse.int(1, 22),
  ),
  uploadConcurrency: setting(
    'AMI_ARCHIVER_UPLOAD_CONCURRENCY',
    'Parquet objects uploaded in parallel by one flush',
    '4',
    parse.int(1, 64),
  ),
  maxBytesPerPartition: setting(
    'AMI_ARCHIVER_FETCH_MAX_BYTES_PER_PARTITION',
    'Kafka fetch limit per partition (bytes): bounds a batch',
    String(1024 * 1024),
    parse.int(1024, 256 * 1024 * 1024),
  ),
  partitionsConsumedConcurrently: setting(
    'AMI_ARCHIVER_CONCURRENT_PARTITIONS',
    'Partitions processed concurrently by one process',
    '2',
    parse.int(1, 64),
  ),
  metricsPort: setting(
    'AMI_ARCHIVER_METRICS_PORT',
    'Port of /metrics on 127.0.0.1 (0 = any free port)',
    '9465',
    parse.int(0, 65_535),
  ),
  fromBeginning: setting(
    'AMI_ARCHIVER_FROM_BEGINNING',
    'Where a new archiver group starts: true = earliest offset (archive everything retained), false = latest',
    'true',
    parse.bool,
  ),
} as const satisfies SettingsSpec;

export type ArchiverSettings = SettingsOf<typeof archiverSettings>;

export function loadArchiverSettings(env: Env = process.env): ArchiverSettings {
  return readSettings(archiverSettings, env);
}
