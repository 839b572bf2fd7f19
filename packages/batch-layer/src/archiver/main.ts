/**
 * Archiver process: `pnpm exec tsx packages/batch-layer/src/archiver/main.ts`.
 * SIGTERM/SIGINT: stop fetching, flush every buffer, commit, disconnect, exit 0.
 */
import { loadConfig } from '@ami/shared/config';
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
import { createLogger } from '@ami/shared/log';
import { createMetricsRegistry, startMetricsServer } from '@ami/shared/metrics';
import { Archiver } from './archiver.ts';
import { loadArchiverSettings } from './config.ts';
import { createArchiverMetrics } from './metrics.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadArchiverSettings();
  const validation = loadValidationConfig();
  const domain = loadDomainConfig();
  const logger = createLogger('archiver', { level: config.runtime.logLevel });
  const registry = createMetricsRegistry('archiver');
  const metricsServer = await startMetricsServer(registry, settings.metricsPort);
  const kafka = createKafka(config, { component: 'archiver', logger });
  await ensureTopics(kafka, platformTopics(config));
  const redis = createRedis(config, { connectionName: 'archiver' });
  const s3 = createS3(config);
  const db = await openDuckDB({ threads: 1 });
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

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: flushing every buffer');
    archiver
      .stop()
      .then(async () => {
        await metricsServer.close();
        redis.disconnect();
        s3.destroy();
        db.closeSync();
        logger.info({ stats: archiver.stats }, 'stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await archiver.start();
  logger.info(
    { metricsPort: metricsServer.port, groupId: settings.groupId, bucket: config.connection.s3Bucket },
    'archiver running',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
