/**
 * Speed-layer settings (environment, with defaults; `readSettings` reports every bad one at once).
 */
import {
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';
import { assertKeyPrefix } from './realtime-view/keys.ts';

export const speedLayerSettings = {
  groupId: setting(
    'AMI_SPEED_GROUP_ID',
    'Kafka consumer group of the speed layer',
    'ami-speed-layer',
    parse.string({ nonEmpty: true }),
  ),
  allowedLatenessS: setting(
    'AMI_SPEED_ALLOWED_LATENESS_S',
    'Allowed lateness of the event-time watermark (seconds)',
    '600',
    parse.int(0, 7 * 86_400),
  ),
  idleTimeoutS: setting(
    'AMI_SPEED_IDLE_TIMEOUT_S',
    'A partition without messages for this long no longer holds the global watermark back (seconds)',
    '60',
    parse.int(1, 86_400),
  ),
  retentionDays: setting(
    'AMI_SPEED_RETENTION_DAYS',
    'Hard cap of provisional retention: local days more than this many days before the partition watermark are dropped even if the batch has not published them (logged and counted), and reads of them are skipped',
    '7',
    parse.int(1, 45),
  ),
  retentionGraceS: setting(
    'AMI_SPEED_RETENTION_GRACE_S',
    'A local day is dropped from the realtime view this long after the batch layer first had it published (seconds)',
    '3600',
    parse.int(0, 30 * 86_400),
  ),
  retentionSweepS: setting(
    'AMI_SPEED_RETENTION_SWEEP_S',
    'Interval of the retention sweep (seconds; 0 = off)',
    '60',
    parse.int(0, 86_400),
  ),
  slowApplyMs: setting(
    'AMI_SPEED_SLOW_APPLY_MS',
    'Backpressure: a Redis apply call slower than this pauses consumption for AMI_SPEED_PAUSE_MS (ms)',
    '2000',
    parse.int(1, 600_000),
  ),
  pauseMs: setting(
    'AMI_SPEED_PAUSE_MS',
    'Backpressure: pause after a slow Redis call, and first wait before retrying a failed one (ms; doubles on each consecutive failure, up to 30 s)',
    '1000',
    parse.int(1, 60_000),
  ),
  maxMessagesPerChunk: setting(
    'AMI_SPEED_CHUNK_MESSAGES',
    'Messages applied per Redis script call (one fence update each)',
    '2000',
    parse.int(1, 50_000),
  ),
  maxBytesPerPartition: setting(
    'AMI_SPEED_FETCH_MAX_BYTES_PER_PARTITION',
    'Kafka fetch limit per partition (bytes): bounds a batch',
    String(1024 * 1024),
    parse.int(1024, 256 * 1024 * 1024),
  ),
  maxRecordsPerBatch: setting(
    'AMI_SPEED_BATCH_RECORDS',
    'Records taken from the Kafka stream per processing round (split by partition, then into chunks)',
    '8000',
    parse.int(1, 1_000_000),
  ),
  partitionsConsumedConcurrently: setting(
    'AMI_SPEED_CONCURRENT_PARTITIONS',
    'Partitions of one processing round applied concurrently by one process',
    '2',
    parse.int(1, 64),
  ),
  viewCacheMb: setting(
    'AMI_SPEED_VIEW_CACHE_MB',
    'Realtime-view values the consumer holds in process (MiB, all its partitions): each value is read from Redis once, then only the changed bytes are written; an evicted value is read again',
    '256',
    parse.int(1, 65_536),
  ),
  keyPrefix: setting(
    'AMI_SPEED_KEY_PREFIX',
    'Prefix of the realtime-view Redis keys (inside the hash tag)',
    'rv',
    (raw) => assertKeyPrefix(raw),
  ),
  metricsPort: setting(
    'AMI_SPEED_METRICS_PORT',
    'Port of /metrics on 127.0.0.1 (0 = any free port)',
    '9464',
    parse.int(0, 65_535),
  ),
  fromBeginning: setting(
    'AMI_SPEED_FROM_BEGINNING',
    'Where a new consumer group starts: true = earliest offset, false = latest',
    'true',
    parse.bool,
  ),
} as const satisfies SettingsSpec;

export type SpeedLayerSettings = SettingsOf<typeof speedLayerSettings>;

export function loadSpeedLayerSettings(env: Env = process.env): SpeedLayerSettings {
  return readSettings(speedLayerSettings, env);
}
