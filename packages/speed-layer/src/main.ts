/**
 * Speed-layer process: `pnpm exec tsx packages/speed-layer/src/main.ts`.
 * SIGTERM/SIGINT: finish the in-flight chunk, commit, disconnect, exit 0.
 */
import { ConfigError, loadConfig } from '@ami/shared/config';
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
import { loadTopologyFile } from './topology-file.ts';

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
  const topology = settings.topologyFile === '' ? undefined : await loadTopologyFile(settings.topologyFile);
  if (topology === undefined) {
    logger.warn('AMI_TOPOLOGY_FILE not set: no UNKNOWN_METER check, no substation/region aggregates');
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
