/**
 * @ami/batch-layer — run the batch layer (SPEC 5). Two long-running processes: the archiver
 * (Kafka → master dataset as Parquet in S3, quarantine, dirty-day marks) and the batch worker
 * (BullMQ jobs: nightly build, late-data sweep, backfills, VEE + day rebuild + publish,
 * restatements, reconciliation). A supervisor starts them from ARCHIVER_MAIN and BATCH_WORKER_MAIN;
 * a test may run an Archiver in-process. Their Prometheus metrics are defined here (for the Grafana
 * dashboard check). The master dataset's object naming and Parquet writer are exported deliberately,
 * for tests that write or read archived reads without running the archiver. Every settings group of
 * the layer has its spec (listed by `ami config`) and one loader returning the typed settings;
 * readers of the settings use these, not the modules that define them. What the CLI and the API call
 * is @ami/batch-layer/commands; publishing views is @ami/batch-layer/catalog.
 */

// Processes
export { ARCHIVER_MAIN, BATCH_WORKER_MAIN } from './processes.ts';
export { Archiver, type ArchiverDeps, type ArchiverStats } from './archiver/archiver.ts';
export { createArchiverMetrics, type ArchiverMetrics } from './archiver/metrics.ts';
export { createBatchMetrics, type BatchMetrics } from './jobs/metrics.ts';

// Master dataset format (object keys, Parquet rows)
export {
  archiveObjectKey,
  parseArchiveObjectKey,
  type ArchiveDataset,
  type ArchiveKind,
  type ArchiveObject,
} from './archiver/naming.ts';
export { ArchiveParquetWriter, type ParquetWriterOptions } from './archiver/parquet-writer.ts';
export { archivedRead, groupByLocalDate, type ArchivedRead } from './archiver/rows.ts';

// Reading qualities: every VEE code mapped to IEC 61968-9 and Green Button (docs/reason-codes.md)
export { readingQualitiesMarkdown } from './vee/reading-qualities.ts';

// Settings: spec (for `ami config`) and loader of each group
export { archiverSettings, loadArchiverSettings, type ArchiverSettings } from './archiver/config.ts';
export {
  catalogWriterSettings,
  loadCatalogWriterSettings,
  type CatalogWriterSettings,
} from './catalog/settings.ts';
export { loadVeeParams, veeSettings, type VeeParams } from './vee/params.ts';
export { editSettings, loadEditSettings, type EditSettings } from './edits/settings.ts';
export {
  loadRestatementSettings,
  restatementSettings,
  type RestatementSettings,
} from './restatements/settings.ts';
export {
  loadReconciliationSettings,
  reconciliationSettings,
  type ReconciliationSettings,
} from './reconciliation/settings.ts';
export {
  batchJobSettings,
  batchMetricsSettings,
  loadBatchJobSettings,
  loadBatchMetricsSettings,
  type BatchJobSettings,
  type BatchMetricsSettings,
} from './jobs/settings.ts';
