/**
 * @ami/speed-layer — what other packages need to run the speed layer (SPEC 4): the Kafka consumer
 * that applies reads exactly once to the realtime view in Redis and feeds the alert engine, its
 * metrics, its settings (one load function per settings group, plus the setting specs that
 * `ami config` lists), and the `ami speed replay` operation. Reading the realtime view and the
 * alert store is `@ami/speed-layer/realtime-view`; test fixtures are `@ami/speed-layer/testing`.
 * Key names, byte layout and Redis scripts are internal.
 */
export {
  SpeedConsumer,
  type AppliedChunkInfo,
  type SpeedConsumerDeps,
  type SpeedConsumerStats,
} from './consumer/speed-consumer.ts';
export { AlertEngine, type AlertEngineDeps } from './alerts/engine.ts';
export { buildTransformerRoster, type TransformerRoster } from './alerts/roster.ts';
export { checkLimitsFitLayout } from './realtime-view/apply-args.ts';
export { createSpeedMetrics, type SpeedMetrics } from './metrics.ts';
export { loadSpeedLayerSettings, speedLayerSettings, type SpeedLayerSettings } from './config.ts';
export { alertEngineSettings, loadAlertEngineSettings, type AlertEngineSettings } from './alerts/settings.ts';
export {
  GroupActiveError,
  speedReplay,
  type ReplayDeps,
  type ReplayReport,
  type TopicReset,
} from './replay/speed-replay.ts';
