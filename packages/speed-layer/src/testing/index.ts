/**
 * @ami/speed-layer/testing — deliberate fixtures for the tests and benchmarks of OTHER packages and
 * of the root test suites. NOT for production code: these helpers write to and read from the
 * realtime view and the alert store below the contract (`@ami/speed-layer/realtime-view`), so that
 * tests can seed exactly what the speed layer would have written and compare exactly what it holds.
 *
 *  - seed the realtime view through the real apply path (validated reads, the partition writer and write.lua, offsets after
 *    the fence) and the alert store through the real AlertStore;
 *  - read a meter's or a grid entity's stored day back for exact comparisons, and the simulator's
 *    truth reduced to what the view must hold;
 *  - list or delete one run's keys; write an engine instance's watermark report or a retention
 *    fence by hand.
 */
export {
  applyToRealtimeView,
  intervalReadMessage,
  type SeedAttribution,
  type SeedOptions,
  type SeedRead,
} from './realtime-seed.ts';
export {
  PROVISIONAL_EXACT_FAULTS,
  expectedFromTruth,
  realtimeViewOf,
  runSimulation,
  type KeyedMessage,
  type SimRun,
  type TruthView,
} from './sim-truth.ts';
export {
  alertStoreKeys,
  daysKey,
  deleteAlertStore,
  deleteRealtimeView,
  fenceKey,
  gridDayKey,
  meterDayKey,
  realtimeViewKeys,
  reportAlertWatermark,
  setRetainFrom,
} from './view-keys.ts';
export { readGridDay, readMeterDay } from '../realtime-view/read-view.ts';
export type { GridWindow, MeterDay, StoredInterval } from '../realtime-view/layout.ts';
export { toApplyRead, type ApplyRead } from '../realtime-view/apply-args.ts';
export { AlertStore, type AlertStoreOptions, type OpenOutcome } from '../alerts/store.ts';
export { openAlert, type OpenSpec } from '../alerts/alert-record.ts';
