/**
 * @ami/speed-layer/realtime-view — the only way other packages read what the speed layer keeps in
 * Redis. `RealtimeView` (built from the Redis client, AMI_SPEED_KEY_PREFIX, the reads topic's
 * partition count, AMI_KAFKA_PARTITIONER and AMI_TIMEZONE) answers a meter's interval tail, a grid entity's windows (over
 * dates, a whole day, or one window of many entities), the entities with data on a date, the held
 * (not yet dropped) days and whether a day is still provisionally available. `AlertView` (the Redis
 * client and AMI_ALERT_KEY_PREFIX) answers the alert engine's shared watermark, the open alerts and
 * the alert history (a filtered page, the entries after a cursor, a blocking tail). Results are plain
 * values — UTC epoch ms, Wh, centivolts, validated alert records; key names, hash tags, stream
 * fields, byte layout and scripts are not part of the contract and may change.
 */
export { GRID_LEVELS, type GridLevel } from './keys.ts';
export { EMPTY_GRID_WINDOW, type GridWindow } from './layout.ts';
export { RealtimeView } from './reader/realtime-view.ts';
export type { RealtimeViewOptions } from './reader/options.ts';
export type { MeterTailInterval } from './reader/meter-tail.ts';
export type { GridTailWindow } from './reader/grid.ts';
export type { EntityScanLimits } from './reader/entity-scan.ts';
export {
  ALERT_STREAM_ID_PATTERN,
  AlertView,
  isAlertStreamId,
  type AlertHistoryBatch,
  type AlertHistoryEntry,
  type AlertHistoryPage,
  type AlertHistoryQuery,
  type AlertTransitionName,
  type AlertViewOptions,
} from '../alerts/reader.ts';
