/**
 * The speed layer's alert engine (SPEC 4 "Alerts"): pure rules, the Redis AlertStore with its
 * Kafka outbox, and the AlertEngine the consumer calls. See README.md in this folder.
 */
export { AlertEngine, type AlertEngineDeps, type WatermarkResult } from './engine.ts';
export { AlertStore, type AlertStoreOptions, type AlertTransition, type OpenOutcome } from './store.ts';
export { OutageState, type OutageSnapshot } from './outage-state.ts';
export { buildTransformerRoster, type TransformerRoster } from './roster.ts';
export { alertId, clearedAlert, openAlert, type OpenSpec } from './alert-record.ts';
export { alertKeys, OPEN_OUTAGE_SCORE, type AlertKeys } from './keys.ts';
export {
  alertEngineSettings,
  assertAlertKeyPrefix,
  loadAlertEngineSettings,
  type AlertEngineSettings,
} from './settings.ts';
export * from './rules.ts';
