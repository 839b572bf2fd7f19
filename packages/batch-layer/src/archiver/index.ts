/**
 * The archiver of the batch layer (SPEC 5): Kafka → master dataset (Parquet in S3), quarantine,
 * dirty-day marks. Run it with `main.ts`.
 */
export { Archiver, type ArchiverDeps, type ArchiverStats, type FlushTrigger } from './archiver.ts';
export {
  archiverSettings,
  loadArchiverSettings,
  parseKeyPrefix,
  parseRedisPrefix,
  type ArchiverSettings,
} from './config.ts';
export { DirtyDays, dirtyDaysKey, type DirtyDay } from './dirty-days.ts';
export { FlushRequests, flushRequestKey } from './flush-requests.ts';
export { createArchiverMetrics, type ArchiverMetrics } from './metrics.ts';
export {
  archiveDatePrefix,
  archiveFileName,
  archiveObjectKey,
  parseArchiveObjectKey,
  type ArchiveDataset,
  type ArchiveKind,
  type ArchiveObject,
} from './naming.ts';
export {
  ArchiveParquetWriter,
  EVENTS_TABLE,
  QUARANTINE_TABLE,
  READS_TABLE,
  ROW_GROUP_ROWS,
  type ParquetWriterOptions,
} from './parquet-writer.ts';
export { PartitionBuffer, type FlushPlan, type PlanContext, type PlannedObject } from './partition-buffer.ts';
export {
  ARCHIVE_FORMAT,
  archivedEvent,
  archivedRead,
  compareArchivedEvents,
  compareArchivedReads,
  groupByLocalDate,
  quarantined,
  readVersionOf,
  type ArchivedEvent,
  type ArchivedRead,
  type QuarantineSource,
  type QuarantinedMessage,
} from './rows.ts';
