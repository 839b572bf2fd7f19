/**
 * Speed-layer process: `pnpm exec tsx packages/speed-layer/src/main.ts`, on the service scaffold
 * (@ami/shared/service). SIGTERM/SIGINT: finish the in-flight chunk, commit, disconnect the alert
 * producer and Redis, close the metrics server, exit 0 (within AMI_SHUTDOWN_GRACE_S, else exit 1).
 */
import { ConfigError, readSettings } from '@ami/shared/config';
import {
  createKafka,
  createRedis,
  ensureTopics,
  partitionCount,
  platformTopics,
  withAdmin,
} from '@ami/shared/clients';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { runService, type ServiceContext, type ServiceRun } from '@ami/shared/service';
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

async function start({ config, logger, onClose }: ServiceContext): Promise<ServiceRun> {
  const settings = loadSpeedLayerSettings();
  const validation = loadValidationConfig();
  const domain = loadDomainConfig();
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
  onClose('metrics server', () => metricsServer.close());
  const kafka = createKafka(config, { component: 'speed-layer', logger });
  await ensureTopics(kafka, platformTopics(config));
  const redis = createRedis(config, {
    connectionName: 'speed-layer',
    // A hung Redis fails the call (→ backpressure pause + rewind) instead of blocking forever.
    overrides: { commandTimeout: 30_000 },
  });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis connection error'));
  onClose('Redis', () => redis.disconnect());
  const alertProducer = kafka.producer({ idempotent: true, acks: 'all' });
  onClose('alert producer', () => alertProducer.close());
  const readsPartitions = await withAdmin(kafka, (admin) => partitionCount(admin, config.topics.reads));
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
          numPartitions: Math.max(1, readsPartitions),
          partitioner: config.topics.partitioner,
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

  // Closed first: the in-flight chunk is applied and its offsets committed.
  onClose('consumer', () => consumer.stop());

  await consumer.start();
  logger.info({ metricsPort: metricsServer.port, groupId: settings.groupId }, 'speed layer running');
  return { stopped: () => logger.info({ stats: consumer.stats }, 'stopped') };
}

runService({ name: 'speed-layer', stopping: 'finishing the in-flight batch', start });
