/**
 * Platform configuration. Every setting comes from the environment, has a documented default
 * (the local infrastructure of `pnpm ami infra up`) and is validated; `loadConfig` throws one
 * ConfigError naming every bad variable. Package-specific settings are declared next to the
 * package with the same `setting()` helper and listed in the docs by `settingsTable()`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PARTITIONER, parsePartitioner } from '../partitioner.ts';
import {
  parse,
  readSettings,
  setting,
  defaultOf,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from './settings.ts';

export * from './settings.ts';

/** Ports the local infrastructure listens on (loopback). Overridable so two checkouts can coexist. */
export const infraPortSettings = {
  kafkaPort: setting('AMI_KAFKA_PORT', 'Local Kafka broker port (PLAINTEXT listener)', '9092', parse.port),
  kafkaControllerPort: setting(
    'AMI_KAFKA_CONTROLLER_PORT',
    'Local Kafka KRaft controller port',
    '9093',
    parse.port,
  ),
  redisPort: setting('AMI_REDIS_PORT', 'Local Redis port', '6379', parse.port),
  minioPort: setting('AMI_MINIO_PORT', 'Local MinIO S3 API port', '9000', parse.port),
  minioConsolePort: setting('AMI_MINIO_CONSOLE_PORT', 'Local MinIO console port', '9001', parse.port),
  redisClusterPort: setting(
    'AMI_REDIS_CLUSTER_PORT',
    'First port of the local three-master Redis Cluster (`pnpm ami infra cluster up`): it uses this port and the next two, and each port + 10000 for the cluster bus',
    '7001',
    parse.int(1, 55_533),
  ),
} as const satisfies SettingsSpec;

const portOf = (name: string, fallback: string) => (env: Env) => {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
};

/** The connection settings of SPEC 2 (same names in every process and tool). */
export const connectionSettings = {
  kafkaBrokers: setting(
    'KAFKA_BROKERS',
    'Comma-separated Kafka bootstrap servers; when set, no local Kafka is provisioned',
    (env) => `127.0.0.1:${portOf('AMI_KAFKA_PORT', '9092')(env)}`,
    parse.hostPortList,
  ),
  redisUrl: setting(
    'REDIS_URL',
    'Redis URL (redis:// or rediss://); when set, no local Redis is provisioned',
    (env) => `redis://127.0.0.1:${portOf('AMI_REDIS_PORT', '6379')(env)}`,
    parse.url(['redis:', 'rediss:']),
  ),
  redisClusterNodes: setting(
    'REDIS_CLUSTER_NODES',
    'Comma-separated host:port of Redis Cluster nodes (a few are enough, the client discovers the rest); when set, every process uses the cluster instead of the single Redis of REDIS_URL, whose username, password and rediss: (TLS) then apply to every node',
    '',
    (raw): readonly string[] => (raw.trim() === '' ? [] : parse.hostPortList(raw)),
  ),
  s3Endpoint: setting(
    'S3_ENDPOINT',
    'S3 endpoint URL; when set, no local MinIO is provisioned',
    (env) => `http://127.0.0.1:${portOf('AMI_MINIO_PORT', '9000')(env)}`,
    parse.url(['http:', 'https:']),
  ),
  s3Region: setting('S3_REGION', 'S3 region', 'us-east-1', parse.string({ nonEmpty: true })),
  s3AccessKeyId: setting(
    'S3_ACCESS_KEY_ID',
    'S3 access key (also the local MinIO root user)',
    'amiadmin',
    parse.string({ nonEmpty: true }),
  ),
  s3SecretAccessKey: setting(
    'S3_SECRET_ACCESS_KEY',
    'S3 secret key (also the local MinIO root password, ≥ 8 characters)',
    'amiadmin-dev-secret',
    (raw) => {
      if (raw.length < 8) throw new Error('must be at least 8 characters (MinIO rule)');
      return raw;
    },
  ),
  s3Bucket: setting('S3_BUCKET', 'Bucket of the master dataset and batch views', 'ami-lake', parse.bucket),
  timeZone: setting(
    'AMI_TIMEZONE',
    'Time zone of local days, months and billing periods',
    'Europe/Stockholm',
    parse.timeZone,
  ),
  apiPort: setting('API_PORT', 'Port of the serving-layer REST API', '8080', parse.port),
} as const satisfies SettingsSpec;

export const runtimeSettings = {
  logLevel: setting('LOG_LEVEL', 'pino log level', 'info', parse.logLevel),
  cacheDir: setting(
    'AMI_CACHE_DIR',
    'Directory for local infra binaries, data and the S3 object cache (outside the source tree)',
    (env) => join(env.HOME || homedir(), '.cache', 'ami-platform'),
    parse.string({ nonEmpty: true }),
  ),
  kafkaClientId: setting(
    'KAFKA_CLIENT_ID',
    'Kafka client id prefix',
    'ami',
    parse.string({ nonEmpty: true }),
  ),
  shutdownGraceS: setting(
    'AMI_SHUTDOWN_GRACE_S',
    'Seconds a long-running process (speed layer, archiver, batch worker, API, live simulator) has after SIGTERM/SIGINT to finish its in-flight work and close its clients; past it, it exits 1 (a second signal exits 1 at once). Keep it below the kill timeout of what supervises the process (Kubernetes: 30 s by default)',
    '25',
    parse.number(1, 3600),
  ),
} as const satisfies SettingsSpec;

/** Kafka topics of SPEC 3.1: names and partition counts are configurable. */
export const topicSettings = {
  reads: setting('AMI_TOPIC_READS', 'Topic of interval and register reads', 'ami.headend.reads', parse.topic),
  events: setting('AMI_TOPIC_EVENTS', 'Topic of meter events', 'ami.headend.events', parse.topic),
  readsDlq: setting(
    'AMI_TOPIC_READS_DLQ',
    'Dead-letter topic for invalid reads',
    'ami.headend.reads.dlq',
    parse.topic,
  ),
  eventsDlq: setting(
    'AMI_TOPIC_EVENTS_DLQ',
    'Dead-letter topic for invalid events',
    'ami.headend.events.dlq',
    parse.topic,
  ),
  alertsGrid: setting(
    'AMI_TOPIC_ALERTS_GRID',
    'Grid alerts (voltage, comm, outage)',
    'ami.alerts.grid',
    parse.topic,
  ),
  alertsEvents: setting('AMI_TOPIC_ALERTS_EVENTS', 'Meter event alerts', 'ami.alerts.events', parse.topic),
  restatements: setting(
    'AMI_TOPIC_RESTATEMENTS',
    'Notices that a published authoritative day changed',
    'ami.batch.restatements',
    parse.topic,
  ),
  headendPartitions: setting(
    'AMI_HEADEND_PARTITIONS',
    'Partitions of the head-end topics (reads, events) when the platform creates them',
    '6',
    parse.int(1, 1024),
  ),
  partitioner: setting(
    'AMI_KAFKA_PARTITIONER',
    "Partitioner of the head-end's producer for the reads topic (keyed by meter_id; ADR 0011): `murmur2` = Java clients, librdkafka `murmur2`/`murmur2_random`, @platformatic/kafka `compatibilityPartitioner`; `crc32` = librdkafka's default `consistent_random` (and `consistent`): kcat, confluent-kafka-python/-go/-dotnet on their defaults; `fnv1a` = librdkafka `fnv1a`/`fnv1a_random`, Sarama's default. The speed layer keeps a meter under the partition this rule gives (a read on another one goes to the DLQ as WRONG_PARTITION), the API finds it there and the simulator produces by it",
    DEFAULT_PARTITIONER,
    parsePartitioner,
  ),
} as const satisfies SettingsSpec;

export type InfraPorts = SettingsOf<typeof infraPortSettings>;
export type ConnectionConfig = SettingsOf<typeof connectionSettings>;
export type RuntimeConfig = SettingsOf<typeof runtimeSettings>;
export type TopicConfig = SettingsOf<typeof topicSettings>;

export interface AmiConfig {
  readonly connection: ConnectionConfig;
  readonly runtime: RuntimeConfig;
  readonly topics: TopicConfig;
  readonly ports: InfraPorts;
}

/** Loads and validates the whole core configuration; one ConfigError names every bad variable. */
export function loadConfig(env: Env = process.env): AmiConfig {
  const merged = { ...connectionSettings, ...runtimeSettings, ...topicSettings, ...infraPortSettings };
  const all = readSettings(merged, env);
  const pick = <S extends SettingsSpec>(spec: S): SettingsOf<S> =>
    Object.fromEntries(Object.keys(spec).map((k) => [k, all[k as keyof typeof all]])) as SettingsOf<S>;
  return {
    connection: pick(connectionSettings),
    runtime: pick(runtimeSettings),
    topics: pick(topicSettings),
    ports: pick(infraPortSettings),
  };
}

/** The core setting groups, by section title (packages add theirs in `pnpm ami config`). */
export const coreSettingGroups: Readonly<Record<string, SettingsSpec>> = {
  'Connections (SPEC 2)': connectionSettings,
  Runtime: runtimeSettings,
  'Kafka topics (SPEC 3.1)': topicSettings,
  'Local infrastructure ports': infraPortSettings,
};

/** Markdown table of settings (default: the core groups) with their defaults, for docs and `--help`. */
export function settingsTable(
  groups: Readonly<Record<string, SettingsSpec>> = coreSettingGroups,
  env: Env = {},
): string {
  const rows = Object.values(groups).flatMap((g) =>
    Object.values(g).map((s) => `| \`${s.env}\` | \`${defaultOf(s, env) || '(empty)'}\` | ${s.doc} |`),
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
