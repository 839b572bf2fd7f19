/**
 * @ami/batch-layer/catalog — the publish side of the batch-view catalog (SPEC 5 "Publishing",
 * "Watermark"). A CatalogPublisher uploads view files and swaps the catalog HEAD in one conditional
 * write, so readers see a day's partitions all at once or not at all; it also rolls a view back to
 * an earlier version (a new catalog version, history kept) and lists the retained versions. The
 * watermark it writes into each snapshot follows the rule in watermark.ts. Readers use
 * @ami/shared/catalog; the publisher's settings (retention of versions) are read through
 * @ami/batch-layer. Garbage collection, retention planning and the manifest edits stay internal.
 */
export {
  CatalogConflictError,
  CatalogPublisher,
  type CatalogPublisherOptions,
  type LocalViewFile,
  type PartitionInput,
  type PublishResult,
  type RollbackRequest,
  type SnapshotInfo,
  type StageOptions,
  type StagedPartition,
  type StagedPublish,
} from './publisher.ts';
export type { PartitionChange } from './manifest.ts';
