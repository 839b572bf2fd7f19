/**
 * Speed-layer process: `pnpm exec tsx packages/speed-layer/src/main.ts`.
 * SIGTERM/SIGINT: finish the in-flight chunk, commit, disconnect, exit 0.
 */
import { ConfigError, loadConfig, readSettings } from '@ami/shared/config';
import { createKafka, createRedis, ensureTopics, platformTopics } from '@ami/shared/clients';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { createMetricsRegistry, startMetricsServer } from '@ami/shared/metrics';
import { loadSpeedLayerSettings } from './config.ts';
import { SpeedConsumer } from './consumer/speed-consumer.ts';
import { createSpeedMetrics } from './metrics.ts';
import { checkLimitsFitLayout } from './realtime-view/apply-args.ts';
import { catalogBatchWatermark } from './retention/catalog-watermark.ts';
import { AlertEngine, buildTransformerRoster } from './alerts/index.ts';
import { loadAlertEngineSettings } from './alerts/settings.ts';
import { loadTopologyRows, topologySettings } from '@ami/shared/topology-file';
import { buildTopologyIndex } from '@ami/shared/contracts';
import { loadAlertRules } from '@ami/shared/domain';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadSpeedLayerSettings();
  const validation = loadValidationConfig();
  const domain = loadDomainConfig();
  const logger = createLogger('speed-layer', { level: config.runtime.logLevel });
  const problems = checkLimitsFitLayout(validation.limits);
  if (problems.length > 0) {
    throw new ConfigError(problems.map((problem) => ({ env: 'AMI_READ_MAX_*', value: '', problem })));
  }
  const alertSettings = loadAlertEngineSettings();
  const alertRules = loadAlertRules();
  const { topologyFile } = readSettings(topologySettings);
  const rows = topologyFile === '' ? undefined : await loadTopologyRows(topologyFile);
  const topology = rows === undefined ? undefined : buildTopologyIndex(rows);
  if (rows === undefined) {
    logger.warn(
      'AMI_TOPOLOGY_FILE not set: no UNKNOWN_METER check, no substation/region aggregates, no grid alerts',
    );
  }
  const registry = createMetricsRegistry('speed-layer');
  const metricsServer = await startMetricsServer(registry, settings.metricsPort);
  const kafka = createKafka(config, { component: 'speed-layer', logger });
  await ensureTopics(kafka, platformTopics(config));
  const redis = createRedis(config, {
    connectionName: 'speed-layer',
    // A hung Redis fails the call (→ backpressure pause + rewind) instead of blocking forever.
    overrides: { commandTimeout: 30_000 },
  });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis connection error'));
  const alertProducer = kafka.producer({ allowAutoTopicCreation: false });
  await alertProducer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const partitionCount = (await admin.fetchTopicMetadata({ topics: [config.topics.reads] })).topics[0]
    ?.partitions.length;
  await admin.disconnect();
  const alerts =
    rows === undefined
      ? undefined
      : new AlertEngine({
          redis,
          producer: alertProducer,
          topics: config.topics,
          roster: buildTransformerRoster(rows),
          eventCodes: domain.eventCodes,
          rules: alertRules,
          settings: alertSettings,
          viewKeyPrefix: settings.keyPrefix,
          numPartitions: partitionCount ?? 1,
          timeZone: config.connection.timeZone,
          registry,
          logger,
        });
  // Alert transitions a crashed run left in the outbox go to the alert topics first.
  if (alerts !== undefined) await alerts.drainOutbox();
  const consumer = new SpeedConsumer({
    kafka,
    redis,
    config,
    settings,
    validation,
    eventCodes: domain.eventCodes,
    logger,
    metrics: createSpeedMetrics(registry),
    batchWatermark: catalogBatchWatermark(config, logger),
    ...(alerts ? { alerts } : {}),
    ...(topology ? { topology } : {}),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the in-flight batch');
    consumer
      .stop()
      .then(async () => {
        await alertProducer.disconnect();
        await metricsServer.close();
        redis.disconnect();
        logger.info({ stats: consumer.stats }, 'stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await consumer.start();
  logger.info({ metricsPort: metricsServer.port, groupId: settings.groupId }, 'speed layer running');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
