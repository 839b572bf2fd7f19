/**
 * Batch worker process: `pnpm exec tsx packages/batch-layer/src/jobs/main.ts`.
 * Loads the configuration from the environment, wires the real day builder (runtime.ts), upserts
 * the job schedulers (unless AMI_BATCH_SCHEDULE=false) and runs the batch queue. Job lifecycle and
 * progress are logged as JSON lines (pino, stderr). Runs on the service scaffold
 * (@ami/shared/service). SIGTERM/SIGINT: stop taking jobs, let the running ones finish
 * (worker.close), stop the sampler, close the runtime's clients and the metrics server, exit 0
 * (within AMI_SHUTDOWN_GRACE_S, else exit 1). A SIGKILLed worker's job stalls and is recovered by
 * another worker after its lock expires; a build never publishes partially (one catalog HEAD swap).
 * Prometheus metrics (jobs, queue depth, watermark age: metrics.ts) on 127.0.0.1:AMI_BATCH_METRICS_PORT.
 */
import { runService, type ServiceContext } from '@ami/shared/service';
import { createMetricsRegistry, startMetricsServer } from '@ami/shared/metrics';
import { createBatchMetrics, instrumentBatchWorker, startBatchSampler } from './metrics.ts';
import { registerSchedulers } from './schedulers.ts';
import { loadBatchJobSettings, loadBatchMetricsSettings } from './settings.ts';
import { createBatchRuntime } from './runtime.ts';
import { createBatchWorker } from './worker.ts';

async function start({ config, logger, onClose }: ServiceContext): Promise<void> {
  const settings = loadBatchJobSettings();
  const metricsSettings = loadBatchMetricsSettings();
  const registry = createMetricsRegistry('batch-worker');
  const metrics = createBatchMetrics(registry);
  const metricsServer = await startMetricsServer(registry, metricsSettings.port);
  onClose('metrics server', () => metricsServer.close());
  const runtime = await createBatchRuntime(config, settings, logger);
  onClose('runtime (Redis, S3, DuckDB)', () => runtime.close());
  const timeZone = config.connection.timeZone;
  const bw = createBatchWorker({
    connection: runtime.connection,
    builder: runtime.builder,
    dirtyDays: runtime.dirtyDays,
    settings,
    timeZone,
    logger,
    relay: runtime.relay,
    reconcile: runtime.reconcile,
    archiveGate: runtime.archiveGate,
  });
  const { worker } = bw;
  instrumentBatchWorker(worker, metrics);
  const sampler = startBatchSampler({
    queue: bw.queue,
    catalog: runtime.catalog,
    metrics,
    everyMs: metricsSettings.sampleMs,
    logger,
  });
  worker.on('active', (job) =>
    logger.info({ event: 'active', jobId: job.id, name: job.name, data: job.data }, 'job started'),
  );
  worker.on('progress', (job, progress) =>
    logger.info({ event: 'progress', jobId: job.id, name: job.name, progress }, 'job progress'),
  );
  worker.on('completed', (job, result) =>
    logger.info({ event: 'completed', jobId: job.id, name: job.name, result }, 'job completed'),
  );
  worker.on('failed', (job, err) =>
    logger.warn(
      { event: 'failed', jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade, err: err.message },
      'job failed',
    ),
  );
  worker.on('stalled', (jobId) => logger.warn({ event: 'stalled', jobId }, 'stalled job moved back to wait'));

  onClose('sampler', () => sampler.stop());
  // Closed first (the sampler keeps sampling meanwhile): no new jobs, the running ones finish.
  onClose('worker', () => bw.close());

  await worker.waitUntilReady();
  if (settings.schedule) await registerSchedulers(bw.queue, settings, timeZone);
  logger.info(
    {
      event: 'ready',
      queue: settings.queue,
      prefix: settings.keyPrefix,
      concurrency: settings.concurrency,
      schedule: settings.schedule,
      nightlyCron: settings.nightlyCron,
      sweepEveryS: settings.sweepEveryS,
      timeZone,
      metricsPort: metricsServer.port,
    },
    'batch worker running',
  );
}

runService({ name: 'batch-worker', stopping: 'waiting for running jobs', start });
