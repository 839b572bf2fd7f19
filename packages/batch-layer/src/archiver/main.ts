/**
 * Archiver process: `pnpm exec tsx packages/batch-layer/src/archiver/main.ts`, on the service
 * scaffold (@ami/shared/service). SIGTERM/SIGINT: stop fetching, flush every buffer, commit, then
 * close DuckDB, S3, Redis and the metrics server, exit 0 (within AMI_SHUTDOWN_GRACE_S, else exit 1).
 */
import {
  createKafka,
  createRedis,
  createS3,
  ensureTopics,
  openDuckDB,
  platformTopics,
} from '@ami/shared/clients';
import { loadValidationConfig } from '@ami/shared/contracts';
import { loadDomainConfig } from '@ami/shared/domain';
import { runService, type ServiceContext, type ServiceRun } from '@ami/shared/service';
import { createMetricsRegistry, startMetricsServer } from '@ami/shared/metrics';
import { Archiver } from './archiver.ts';
import { loadArchiverSettings } from './config.ts';
import { createArchiverMetrics } from './metrics.ts';

async function start({ config, logger, onClose }: ServiceContext): Promise<ServiceRun> {
  const settings = loadArchiverSettings();
  const validation = loadValidationConfig();
  const domain = loadDomainConfig();
  const registry = createMetricsRegistry('archiver');
  const metricsServer = await startMetricsServer(registry, settings.metricsPort);
  onClose('metrics server', () => metricsServer.close());
  const kafka = createKafka(config, { component: 'archiver', logger });
  await ensureTopics(kafka, platformTopics(config));
  const redis = createRedis(config, { connectionName: 'archiver' });
  onClose('Redis', () => redis.disconnect());
  const s3 = createS3(config);
  onClose('S3', () => s3.destroy());
  const db = await openDuckDB({ threads: 1 });
  onClose('DuckDB', () => db.closeSync());
  const archiver = new Archiver({
    kafka,
    s3,
    redis,
    db,
    config,
    settings,
    validation,
    eventCodes: domain.eventCodes,
    logger,
    metrics: createArchiverMetrics(registry),
  });

  // Closed first: fetching stops, every buffer is flushed to S3 and its offsets committed.
  onClose('archiver', () => archiver.stop());

  await archiver.start();
  logger.info(
    { metricsPort: metricsServer.port, groupId: settings.groupId, bucket: config.connection.s3Bucket },
    'archiver running',
  );
  return { stopped: () => logger.info({ stats: archiver.stats }, 'stopped') };
}

runService({ name: 'archiver', stopping: 'flushing every buffer', start });
