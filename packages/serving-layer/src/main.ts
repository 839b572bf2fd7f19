/**
 * Serving-layer process: `pnpm exec tsx packages/serving-layer/src/main.ts`.
 * Loads the configuration, connects Redis, S3 (object cache + catalog reader), DuckDB and a Kafka
 * admin client (readiness only), builds the app and listens on AMI_API_HOST:API_PORT. With
 * AMI_API_DEV_KEYS=true it prints one fresh key per role on stdout, once. SIGTERM/SIGINT close the
 * server (in-flight requests finish) and the clients, then exit 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { CatalogReader, catalogSettings } from '@ami/shared/catalog';
import { createKafka, createRedis, createS3, openDuckDB, S3ObjectCache } from '@ami/shared/clients';
import { ConfigError, loadConfig, readSettings } from '@ami/shared/config';
import { createLogger } from '@ami/shared/log';
import { createMetricsRegistry } from '@ami/shared/metrics';
import { speedLayerSettings } from '@ami/speed-layer/config';
import { loadArchiverSettings } from '@ami/batch-layer/archiver/config';
import { DirtyDays } from '@ami/batch-layer/archiver/dirty-days';
import { EditStore } from '@ami/batch-layer/edits/edit-store';
import { loadEditSettings } from '@ami/batch-layer/edits/settings';
import { BatchJobs } from '@ami/batch-layer/jobs/client';
import { loadBatchJobSettings } from '@ami/batch-layer/jobs/settings';
import { loadReconciliationSettings } from '@ami/batch-layer/reconciliation/settings';
import { alertEngineSettings } from '@ami/speed-layer/alerts/settings';
import { buildApp, featureRoutes } from './app.ts';
import { createPseudonymiser } from './auth/pseudonym.ts';
import { generateDevKeys, KeyStore, readKeyFile, type ApiKeyEntry } from './auth/key-store.ts';
import { catalogCheck, redisCheck, type ReadinessCheck } from './plugins/readiness.ts';
import { loadServingSettings } from './settings.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadServingSettings();
  const catalogConfig = readSettings(catalogSettings);
  const { keyPrefix } = readSettings({ keyPrefix: speedLayerSettings.keyPrefix });
  const logger = createLogger('serving-layer', { level: config.runtime.logLevel });

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
  let pseudonymSecret = settings.pseudonymSecret;
  if (pseudonymSecret === '') {
    if (!settings.devKeys)
      throw new ConfigError([
        {
          env: 'AMI_API_PSEUDONYM_SECRET',
          value: '',
          problem:
            'required (≥ 16 characters) unless AMI_API_DEV_KEYS=true: analysts see customer pseudonyms',
        },
      ]);
    pseudonymSecret = randomBytes(32).toString('base64url');
    logger.warn('AMI_API_PSEUDONYM_SECRET not set: random secret, customer pseudonyms change on restart');
  }

  const redis = createRedis(config, {
    connectionName: 'serving-layer',
    overrides: { commandTimeout: 10_000 },
  });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis connection error'));
  const s3 = createS3(config);
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
  const kafka = createKafka(config, { component: 'serving-layer', logger });
  const admin = kafka.admin();
  const partitions = await readsPartitions(admin, config.topics.reads).catch((err: unknown) => {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), fallback: config.topics.headendPartitions },
      'could not read the reads topic partition count; using AMI_HEADEND_PARTITIONS',
    );
    return config.topics.headendPartitions;
  });

  // Batch jobs (backfill/rebuild from the API) share the worker's queue; BullMQ needs its own connection.
  const jobsConnection = createRedis(config, { forBullMQ: true, connectionName: 'serving-layer-jobs' });
  const jobs = new BatchJobs({
    connection: jobsConnection,
    settings: loadBatchJobSettings(),
    timeZone: config.connection.timeZone,
  });

  const readiness: ReadinessCheck[] = [
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
      check: async () => {
        await admin.connect();
        await admin.describeCluster();
      },
    },
  ];

  const app = await buildApp({
    deps: {
      redis,
      catalog,
      db,
      timeZone: config.connection.timeZone,
      realtimePrefix: keyPrefix,
      partitions,
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
    },
    routes: featureRoutes,
    keys: new KeyStore(entries),
    settings: { ...settings, pseudonymSecret },
    readiness,
    registry: createMetricsRegistry('serving-layer'),
    logger,
  });
  const address = await app.listen({ host: settings.host, port: config.connection.apiPort });
  logger.info({ address, keys: entries.length, partitions }, 'serving layer listening');
  if (dev) {
    const lines = dev.keys.map((k) => `  ${k.role.padEnd(9)} ${k.key}`);
    process.stdout.write(
      `API ${address}  (OpenAPI ${address}/openapi.json, docs ${address}/docs)\n` +
        `development API keys (x-api-key header; shown once, valid until this process stops):\n${lines.join('\n')}\n`,
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    app
      .close()
      .then(async () => {
        await admin.disconnect().catch(() => undefined);
        await jobs.close().catch(() => undefined);
        jobsConnection.disconnect();
        redis.disconnect();
        s3.destroy();
        db.closeSync();
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

type KafkaAdmin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/** Partition count of the reads topic (the realtime view's keys depend on it); gives up after 10 s. */
async function readsPartitions(admin: KafkaAdmin, topic: string): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Kafka did not answer within 10 s')), 10_000);
  });
  try {
    return await Promise.race([
      (async () => {
        await admin.connect();
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const n = meta.topics[0]?.partitions.length;
        if (!n) throw new Error(`topic ${topic} has no partitions`);
        return n;
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
