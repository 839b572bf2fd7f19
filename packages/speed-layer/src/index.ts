/**
 * @ami/speed-layer — the provisional realtime view (SPEC 4): Kafka consumer, exactly-once apply to
 * Redis through a per-partition offset fence, key layout and decoders for readers.
 */
export { murmur2, partitionForKey, partitionOfMeter } from '@ami/shared/partitioner';
export {
  GRID_LEVELS,
  GRID_LEVEL_CODES,
  assertKeyPrefix,
  attributionText,
  fenceKey,
  gridDayKey,
  meterDayKey,
  parseAttributionText,
  partitionTag,
  type GridAttribution,
  type GridLevel,
} from './realtime-view/keys.ts';
export {
  EMPTY_GRID_WINDOW,
  GRID_RECORD_BYTES,
  HEADER_BYTES,
  HOUR_SLOTS,
  METER_DAY_FORMAT,
  INTERVAL_SLOTS,
  SLOT_BYTES,
  compareSlotVersions,
  dayPhase,
  trailerOffset,
  decodeGridDay,
  decodeGridWindows,
  decodeMeterDay,
  meterDayPresence,
  hourSlot,
  hourSlotStartMs,
  mergeGridWindows,
  voltageToCv,
  type GridWindow,
  type MeterDay,
  type SlotVersion,
  type StoredInterval,
} from './realtime-view/layout.ts';
export {
  READ_RECORD_BYTES,
  encodeApplyReads,
  checkLimitsFitLayout,
  toApplyRead,
  type ApplyRead,
} from './realtime-view/apply-args.ts';
export {
  applyChunk,
  defineApplyCommand,
  readFence,
  type ApplyChunk,
  type ApplyResult,
  type PartitionFence,
} from './realtime-view/apply.ts';
export { readGridDay, readGridWindows, readMeterDay, readMeterPresence } from './realtime-view/read-view.ts';
export { PartitionWatermarks, isBeyondRetention, type WatermarkOptions } from './watermark.ts';
export {
  planReadBatch,
  type InboundMessage,
  type ReadPlan,
  type ReadPlanContext,
} from './consumer/plan-reads.ts';
export { SpeedConsumer, type SpeedConsumerDeps, type SpeedConsumerStats } from './consumer/speed-consumer.ts';
export { loadSpeedLayerSettings, speedLayerSettings, type SpeedLayerSettings } from './config.ts';
export { createSpeedMetrics, type SpeedMetrics } from './metrics.ts';
export { loadTopologyFile } from '@ami/shared/topology-file';
export {
  AlertEngine,
  AlertStore,
  buildTransformerRoster,
  type AlertEngineDeps,
  type AlertTransition,
  type TransformerRoster,
} from './alerts/index.ts';
export { alertEngineSettings, loadAlertEngineSettings } from './alerts/settings.ts';
export { decideRetention, type RetentionPolicy } from './retention/policy.ts';
export { sweepRetention, type BatchWatermarkSource } from './retention/sweep.ts';
export { loadTopologyRows } from '@ami/shared/topology-file';
export type { AppliedChunkInfo } from './consumer/speed-consumer.ts';
