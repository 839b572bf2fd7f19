/**
 * @ami/batch-layer/commands — what the CLI and the API ask of the batch layer; nothing here needs a
 * batch worker in-process. Jobs: enqueue the rebuild of a local day or the backfill of a range,
 * read a job's progress and list recent jobs (BatchJobs, over the worker's BullMQ queue), and the
 * rule that names a backfill job from its range and token. Edits: the append-only edit store with
 * the errors it throws (invalid input, a record that exists already, a record stored but its day
 * not marked), and scheduleEditRebuild, which queues the rebuild of an edited day and reports the
 * outcome the same way for the CLI and the API. Dirty days: the marks the late-data sweep rebuilds
 * (mark, list, clear). Reconciliation: compute and store a day's report, read a stored one, and the
 * S3 key it is stored under. Settings these need are read through @ami/batch-layer.
 */
export { BatchJobs, type BatchJobsOptions, type JobProgressView } from '../jobs/client.ts';
export type { EnqueueResult } from '../jobs/enqueue.ts';
export { backfillJobId, type BackfillData } from '../jobs/definitions.ts';
export { EditValidationError, type EditInput, type EditValidationCode } from '../edits/edit-input.ts';
export {
  EditNotScheduledError,
  EditStore,
  MAX_LIST_DAYS,
  type AppendOptions,
  type EditStoreOptions,
} from '../edits/edit-store.ts';
export { AppendConflictError, CorruptRecordError } from '../edits/object-log.ts';
export {
  EDIT_REBUILD_STATUSES,
  scheduleEditRebuild,
  type EditRebuildOutcome,
  type EditRebuildStatus,
} from '../edits/schedule-rebuild.ts';
export { DirtyDays, type DirtyDay } from '../archiver/dirty-days.ts';
export { clearDirtyDays } from './dirty-days.ts';
export {
  ReconciliationUnavailableError,
  readReconciliationReport,
  reconcileDay,
  reconciliationReportKey,
  type RealtimeViewSource,
  type ReconcileDeps,
} from '../reconciliation/reconcile.ts';
