/**
 * Wires the real dependencies of a batch worker process from the environment: Redis (BullMQ and
 * dirty-day marks), S3 + object cache, catalog reader and publisher, DuckDB, topology, domain
 * tables, VEE parameters, the edit store and storm releases, the day builder over them, the
 * restatement relay (Kafka producer, cursor in Redis), the reconciliation of a day and the archive
 * gate of builds (Kafka admin for the archiver group's offsets, flush requests in Redis).
 */
import { join } from 'node:path';
import { openWorkDir } from './work-dir.ts';
import { CatalogReader, catalogSettings } from '@ami/shared/catalog';
import {
  S3ObjectCache,
  createKafka,
  createRedis,
  createS3,
  openDuckDB,
  type RedisClient,
} from '@ami/shared/clients';
import { speedLayerSettings } from '@ami/speed-layer';
import type { ReconciliationReport } from '@ami/shared/contracts';
import {
  RelayCursor,
  RestatementRelay,
  createRelayProducer,
  loadRestatementSettings,
} from '../restatements/index.ts';
import { loadReconciliationSettings, reconcileDay } from '../reconciliation/index.ts';
import { readSettings, ConfigError, type AmiConfig, type Env } from '@ami/shared/config';
import { loadDomainConfig } from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import { loadTopologyRows, topologySettings } from '@ami/shared/topology-file';
import { loadArchiverSettings } from '../archiver/config.ts';
import { DirtyDays } from '../archiver/dirty-days.ts';
import { FlushRequests } from '../archiver/flush-requests.ts';
import { ArchiveGate, kafkaArchiverOffsets } from './archive-gate.ts';
import { CatalogPublisher } from '../catalog/publisher.ts';
import { catalogWriterSettings } from '../catalog/settings.ts';
import { EditStore, StormReleases, loadEditSettings, toManualEdit } from '../edits/index.ts';
import { createDayBuilder } from '../rebuild/day-builder.ts';
import type { DayBuilder } from '../rebuild/types.ts';
import { loadVeeParams } from '../vee/params.ts';
import type { BatchJobSettings } from './settings.ts';

export interface BatchRuntime {
  readonly connection: RedisClient;
  readonly dirtyDays: DirtyDays;
  /** The catalog reader of the builder (also read by the metrics sampler). */
  readonly catalog: CatalogReader;
  readonly builder: DayBuilder;
  readonly relay: RestatementRelay;
  readonly reconcile: (date: string) => Promise<ReconciliationReport>;
  /** Waits for the archiver before a build (AMI_BATCH_ARCHIVE_WAIT_S). */
  readonly archiveGate: ArchiveGate;
  close(): Promise<void>;
}

// Long on purpose: the worker's composition root, opening each client once and wiring it in dependency order.
export async function createBatchRuntime(
  config: AmiConfig,
  settings: BatchJobSettings,
  logger: Logger,
  env: Env = process.env,
): Promise<BatchRuntime> {
  const archiver = loadArchiverSettings(env);
  const catalog = readSettings(catalogSettings, env);
  const writer = readSettings(catalogWriterSettings, env);
  const edits = loadEditSettings(env);
  const { topologyFile } = readSettings(topologySettings, env);
  if (topologyFile === '') {
    throw new ConfigError([
      { env: 'AMI_TOPOLOGY_FILE', value: '', problem: 'the batch worker needs the topology file' },
    ]);
  }
  const domain = loadDomainConfig(env);
  const veeParams = loadVeeParams(env);
  const timeZone = config.connection.timeZone;
  const bucket = config.connection.s3Bucket;

  const connection = createRedis(config, { forBullMQ: true, connectionName: 'batch-worker' });
  const dirtyDays = new DirtyDays(connection, archiver.dirtyKeyPrefix);
  const s3 = createS3(config);
  const workDir = await openWorkDir(join(config.runtime.cacheDir, 'batch-worker'));
  if (workDir.removedStale.length > 0)
    logger.info(
      { removed: workDir.removedStale },
      'removed the work directories of batch workers no longer running',
    );
  const dir = workDir.path;
  const cache = new S3ObjectCache({ s3, bucket, dir: join(dir, 'cache') });
  const reader = new CatalogReader({ s3, bucket, prefix: catalog.prefix, cache, refreshMs: 0 });
  const publisher = new CatalogPublisher({
    s3,
    bucket,
    prefix: catalog.prefix,
    timeZone,
    retentionMs: writer.retentionDays * 86_400_000,
  });
  const db = await openDuckDB({ threads: settings.threads });
  const editStore = new EditStore({ s3, bucket, prefix: edits.s3Prefix, timeZone, dirtyDays });
  const storm = new StormReleases({ s3, bucket, prefix: edits.s3Prefix, dirtyDays });
  const builder = createDayBuilder({
    s3,
    bucket,
    archivePrefix: archiver.s3Prefix,
    cache,
    catalog: reader,
    publisher,
    db,
    timeZone,
    // re-read per build, so a new topology file is picked up without a restart
    topology: () => loadTopologyRows(topologyFile),
    eventCodes: domain.eventCodes,
    touCalendar: domain.touCalendar,
    veeParams,
    edits: { listForDay: async (date) => (await editStore.listForDay(date)).map(toManualEdit) },
    stormReleases: storm,
    workDir: join(dir, 'work'),
    log: logger,
  });
  const restatements = loadRestatementSettings(env);
  const kafka = createKafka(config, { logger });
  const producer = createRelayProducer(kafka);
  const admin = kafka.admin();
  const flushRequests = new FlushRequests(connection, archiver.dirtyKeyPrefix);
  const archiveGate = new ArchiveGate({
    offsets: kafkaArchiverOffsets(admin, archiver.groupId),
    groupId: archiver.groupId,
    topics: [config.topics.reads, config.topics.events],
    requestFlush: (atMs, token) => flushRequests.request(atMs, token),
    waitS: settings.archiveWaitS,
    logger,
  });
  const relay = new RestatementRelay({
    s3,
    bucket,
    catalogPrefix: catalog.prefix,
    cache,
    db,
    cursor: new RelayCursor(connection, restatements.cursorKeyPrefix),
    producer,
    topic: config.topics.restatements,
    maxSnapshotsPerRun: restatements.maxSnapshotsPerRun,
    logger,
  });
  const reconciliation = loadReconciliationSettings(env);
  const speed = readSettings({ keyPrefix: speedLayerSettings.keyPrefix }, env);
  const reconcile = (date: string) =>
    reconcileDay(
      {
        s3,
        bucket,
        prefix: reconciliation.s3Prefix,
        timeZone,
        catalog: reader,
        db,
        realtime: {
          redis: connection,
          keyPrefix: speed.keyPrefix,
          partitions: config.topics.headendPartitions,
        },
      },
      date,
    );
  return {
    connection,
    dirtyDays,
    catalog: reader,
    builder,
    relay,
    reconcile,
    archiveGate,
    close: async () => {
      await producer.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
      s3.destroy();
      db.closeSync();
      await workDir.remove();
    },
  };
}
