/**
 * Serving-layer process: `pnpm exec tsx packages/serving-layer/src/main.ts`.
 * Loads the configuration, connects Redis, S3 (object cache + catalog reader), DuckDB and a Kafka
 * admin client (readiness only), reads the topology (AMI_TOPOLOGY_FILE, the file the speed layer and
 * the batch worker read), builds the app and listens on AMI_API_HOST:API_PORT. With
 * AMI_API_DEV_KEYS=true it prints one fresh key per role on stdout, once. Runs on the service
 * scaffold (@ami/shared/service): SIGTERM/SIGINT close the server (in-flight requests finish), then
 * the clients in reverse order of opening, and exit 0 (within AMI_SHUTDOWN_GRACE_S, else exit 1).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CatalogReader, catalogSettings } from '@ami/shared/catalog';
import {
  createKafka,
  createRedis,
  createS3,
  openDuckDB,
  partitionCount,
  S3ObjectCache,
  type KafkaAdmin,
} from '@ami/shared/clients';
import { ConfigError, readSettings, type SettingsOf } from '@ami/shared/config';
import { runService, type ServiceContext } from '@ami/shared/service';
import { topologySettings } from '@ami/shared/topology-file';
import { createMetricsRegistry } from '@ami/shared/metrics';
import { alertEngineSettings, speedLayerSettings } from '@ami/speed-layer';
import {
  loadArchiverSettings,
  loadBatchJobSettings,
  loadEditSettings,
  loadReconciliationSettings,
} from '@ami/batch-layer';
import { BatchJobs, DirtyDays, EditStore } from '@ami/batch-layer/commands';
import { buildApp, featureRoutes } from './app.ts';
import { createPseudonymiser } from './auth/pseudonym.ts';
import { generateDevKeys, KeyStore, readKeyFile, type ApiKeyEntry, type DevKey } from './auth/key-store.ts';
import { catalogCheck, redisCheck, type ReadinessCheck } from './plugins/readiness.ts';
import type { ServingDeps } from './routes/context.ts';
import { loadServingSettings, type ServingSettings } from './settings.ts';
import { TopologyFile } from './topology.ts';

/**
 * The serving layer's start, top to bottom: its settings, the API keys and the pseudonym secret,
 * then the clients (each registering its close step as it opens), the readiness checks, the app,
 * and the listening server (registered last, so closed first).
 */
async function start(ctx: ServiceContext): Promise<void> {
  const { config, logger, onClose } = ctx;
  const settings = loadServingSettings();
  const catalogConfig = readSettings(catalogSettings);
  const { keyPrefix } = readSettings({ keyPrefix: speedLayerSettings.keyPrefix });
  const keys = await loadApiKeys(settings);
  const pseudonymSecret = resolvePseudonymSecret(settings, logger);

  const storage = await openStorage(ctx, settings, catalogConfig);
  const admin = openKafkaAdmin(ctx);
  const partitions = await readsPartitionsOrDefault(ctx, admin);
  const jobs = openBatchJobs(ctx);
  const topology = await loadTopology(ctx);

  const readiness = readinessChecks(storage, admin);
  const app = await buildApp({
    deps: servingDeps({ config, storage, keyPrefix, partitions, jobs, pseudonymSecret, topology }),
    routes: featureRoutes,
    keys: new KeyStore(keys.entries),
    settings: { ...settings, pseudonymSecret },
    readiness,
    registry: createMetricsRegistry('serving-layer'),
    logger,
  });
  // Closed first: the server stops accepting connections and the in-flight requests finish.
  onClose('HTTP server', () => app.close());
  const address = await app.listen({ host: settings.host, port: config.connection.apiPort });
  logger.info({ address, keys: keys.entries.length, partitions }, 'serving layer listening');
  if (keys.dev) process.stdout.write(devKeysText(address, keys.dev.keys));
}

interface ApiKeys {
  /** Every accepted key: AMI_API_KEYS, then AMI_API_KEYS_FILE's, then the development keys. */
  readonly entries: readonly ApiKeyEntry[];
  /** The development keys (AMI_API_DEV_KEYS=true), printed once listening. */
  readonly dev: ReturnType<typeof generateDevKeys> | undefined;
}

/** The API keys the server accepts; a ConfigError when there is none. */
async function loadApiKeys(settings: ServingSettings): Promise<ApiKeys> {
  const entries: ApiKeyEntry[] = [...settings.apiKeys];
  if (settings.apiKeysFile !== '') entries.push(...(await readKeyFile(settings.apiKeysFile)));
  const dev = settings.devKeys ? generateDevKeys() : undefined;
  if (dev) entries.push(...dev.entries);
  if (entries.length === 0)
    throw new ConfigError([
      {
        env: 'AMI_API_KEYS',
        value: '',
        problem:
          'no API keys: set AMI_API_KEYS or AMI_API_KEYS_FILE (or AMI_API_DEV_KEYS=true in development)',
      },
    ]);
  return { entries, dev };
}

/** AMI_API_PSEUDONYM_SECRET, or a random one with development keys (a ConfigError without). */
function resolvePseudonymSecret(settings: ServingSettings, logger: ServiceContext['logger']): string {
  if (settings.pseudonymSecret !== '') return settings.pseudonymSecret;
  if (!settings.devKeys)
    throw new ConfigError([
      {
        env: 'AMI_API_PSEUDONYM_SECRET',
        value: '',
        problem: 'required (≥ 16 characters) unless AMI_API_DEV_KEYS=true: analysts see customer pseudonyms',
      },
    ]);
  const secret = randomBytes(32).toString('base64url');
  logger.warn('AMI_API_PSEUDONYM_SECRET not set: random secret, customer pseudonyms change on restart');
  return secret;
}

interface Storage {
  readonly redis: ServingDeps['redis'];
  readonly s3: S3Client;
  readonly bucket: string;
  readonly catalog: CatalogReader;
  readonly db: ServingDeps['db'];
}

/** Redis, S3 (with the object cache and the catalog reader over it) and DuckDB, in that order. */
async function openStorage(
  { config, logger, onClose }: ServiceContext,
  settings: ServingSettings,
  catalogConfig: SettingsOf<typeof catalogSettings>,
): Promise<Storage> {
  const redis = createRedis(config, {
    connectionName: 'serving-layer',
    overrides: { commandTimeout: 10_000 },
  });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis connection error'));
  onClose('Redis', () => redis.disconnect());
  const s3 = createS3(config);
  onClose('S3', () => s3.destroy());
  const bucket = config.connection.s3Bucket;
  await mkdir(settings.cacheDir, { recursive: true });
  const cache = new S3ObjectCache({ s3, bucket, dir: settings.cacheDir, maxBytes: settings.cacheMaxBytes });
  const catalog = new CatalogReader({
    s3,
    bucket,
    prefix: catalogConfig.prefix,
    cache,
    refreshMs: catalogConfig.refreshMs,
  });
  const db = await openDuckDB({
    threads: settings.duckdbThreads,
    memoryLimit: settings.duckdbMemoryLimit,
    parquetMetadataCache: true,
    tempDirectory: join(settings.cacheDir, '.duckdb-tmp'),
  });
  onClose('DuckDB', () => db.closeSync());
  return { redis, s3, bucket, catalog, db };
}

/** The Kafka admin client: the reads topic's partition count and the (optional) readiness check. */
function openKafkaAdmin({ config, logger, onClose }: ServiceContext): KafkaAdmin {
  const kafka = createKafka(config, { component: 'serving-layer', logger });
  const admin = kafka.admin();
  onClose('Kafka admin', () => admin.close().catch(() => undefined));
  return admin;
}

/** The reads topic's partition count; AMI_HEADEND_PARTITIONS (with a warning) when Kafka cannot tell. */
async function readsPartitionsOrDefault(
  { config, logger }: ServiceContext,
  admin: KafkaAdmin,
): Promise<number> {
  return readsPartitions(admin, config.topics.reads).catch((err: unknown) => {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), fallback: config.topics.headendPartitions },
      'could not read the reads topic partition count; using AMI_HEADEND_PARTITIONS',
    );
    return config.topics.headendPartitions;
  });
}

/** Batch jobs (backfill/rebuild from the API) share the worker's queue; BullMQ needs its own connection. */
function openBatchJobs({ config, onClose }: ServiceContext): BatchJobs {
  const jobsConnection = createRedis(config, { forBullMQ: true, connectionName: 'serving-layer-jobs' });
  onClose('Redis (jobs)', () => jobsConnection.disconnect());
  const jobs = new BatchJobs({
    connection: jobsConnection,
    settings: loadBatchJobSettings(),
    timeZone: config.connection.timeZone,
  });
  onClose('batch jobs queue', () => jobs.close().catch(() => undefined));
  return jobs;
}

/**
 * The topology of AMI_TOPOLOGY_FILE, read once now (a bad file stops the start, naming its line) and
 * re-read when it changes; undefined (with a warning) when the variable is empty.
 */
async function loadTopology({ logger }: ServiceContext): Promise<TopologyFile | undefined> {
  const { topologyFile } = readSettings(topologySettings);
  if (topologyFile === '') {
    logger.warn(
      'AMI_TOPOLOGY_FILE not set: POST /v1/edits answers 503, billing cannot tell an unknown service point before its period is final',
    );
    return undefined;
  }
  const topology = new TopologyFile(topologyFile);
  await topology.load();
  return topology;
}

/** Redis, S3 and the catalog are required for /ready; Kafka (only the partition count) is not. */
function readinessChecks({ redis, s3, bucket, catalog }: Storage, admin: KafkaAdmin): ReadinessCheck[] {
  return [
    redisCheck(redis),
    {
      name: 's3',
      required: true,
      check: async (signal) => {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
      },
    },
    catalogCheck(catalog),
    {
      name: 'kafka',
      required: false,
      // A metadata request for no topic: a broker answers (no retries: the check has a deadline).
      check: async () => {
        await admin.metadata({ topics: [], forceUpdate: true, retries: 0 });
      },
    },
  ];
}

interface DepsSources {
  readonly config: ServiceContext['config'];
  readonly storage: Storage;
  readonly keyPrefix: string;
  readonly partitions: number;
  readonly jobs: BatchJobs;
  readonly pseudonymSecret: string;
  readonly topology: TopologyFile | undefined;
}

/** What the routes use: the clients, the other layers' key prefixes and the edit store. */
function servingDeps({
  config,
  storage,
  keyPrefix,
  partitions,
  jobs,
  pseudonymSecret,
  topology,
}: DepsSources): ServingDeps {
  const { redis, catalog, db, s3, bucket } = storage;
  return {
    redis,
    catalog,
    db,
    timeZone: config.connection.timeZone,
    realtimePrefix: keyPrefix,
    partitions,
    partitioner: config.topics.partitioner,
    now: Date.now,
    s3,
    bucket,
    reconciliationPrefix: loadReconciliationSettings().s3Prefix,
    jobs,
    edits: new EditStore({
      s3,
      bucket,
      prefix: loadEditSettings().s3Prefix,
      timeZone: config.connection.timeZone,
      dirtyDays: new DirtyDays(redis, loadArchiverSettings().dirtyKeyPrefix),
    }),
    alertKeyPrefix: readSettings({ keyPrefix: alertEngineSettings.keyPrefix }).keyPrefix,
    pseudonymise: createPseudonymiser(pseudonymSecret),
    ...(topology !== undefined ? { topology } : {}),
  };
}

/** The development keys, printed once on stdout with the API's URLs. */
function devKeysText(address: string, keys: readonly DevKey[]): string {
  const lines = keys.map((k) => `  ${k.role.padEnd(9)} ${k.key}`);
  return (
    `API ${address}  (OpenAPI ${address}/openapi.json, docs ${address}/docs)\n` +
    `development API keys (x-api-key header; shown once, valid until this process stops):\n${lines.join('\n')}\n`
  );
}

/** Partition count of the reads topic (the realtime view's keys depend on it); gives up after 10 s. */
async function readsPartitions(admin: KafkaAdmin, topic: string): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Kafka did not answer within 10 s')), 10_000);
  });
  try {
    return await Promise.race([
      (async () => {
        const n = await partitionCount(admin, topic);
        if (!n) throw new Error(`topic ${topic} has no partitions`);
        return n;
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

runService({ name: 'serving-layer', stopping: 'finishing in-flight requests', start });
