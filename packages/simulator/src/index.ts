/**
 * @ami/simulator — the deterministic meter-fleet simulator of SPEC 8: topology, signals, faults,
 * files and Kafka modes, ground truth; live mode (paced on a simulated clock) with its control API.
 */
export { runSimCli, runSim, SIM_HELP } from './cli.ts';
export { parseSimArgs, UsageError, type SimOptions, type SinkTarget } from './options.ts';
export {
  Simulation,
  simulate,
  type InjectedOutage,
  type SimConfig,
  type SimSummary,
  type SlotGate,
} from './simulator.ts';
export {
  ALL_FAULTS,
  FAULTS,
  FAULT_KINDS,
  NO_FAULTS,
  READ_FAULTS,
  faultTableMarkdown,
  type FaultDef,
  type FaultKind,
  type FaultRates,
  type ReadFault,
} from './faults.ts';
export {
  buildFleet,
  MAX_READ_DELAY_MS,
  meterIdOf,
  topologyJsonl,
  topologyRows,
  topologyRow,
  type Fleet,
  type MeterSpec,
  type Transformer,
} from './topology.ts';
export { Timeline, buildCalendar, buildDaySlots, type IntervalSlot, type SimCalendar } from './calendar.ts';
export { CountingSink, type MessageSink, type TruthSink } from './sink.ts';
export { FilesSink, writeTopologyFile, writeTopologyJsonl } from './files.ts';
export { LineWriter } from './line-writer.ts';
export { pacedLimitMs, systemClock, wallTimeOf, type PaceConfig, type WallClock } from './pacing.ts';
export { LiveRun, type LiveRunOptions, type LiveStatus } from './live.ts';
export {
  ControlErrorSchema,
  DEFAULT_OUTAGE_MINUTES,
  MAX_OUTAGE_MINUTES,
  OutageRequestSchema,
  OutageResponseSchema,
  SimStatusSchema,
  type ControlError,
  type OutageRequest,
  type OutageResponse,
  type SimStatus,
} from './control-api.ts';
export { startControlServer, type ControlServer, type ControlTarget } from './control.ts';
export { OUTAGE_HELP, parseOutageArgs, runOutageCli, type OutageCommand } from './outage-cli.ts';
export { KafkaSink, openKafkaSink, type KafkaSinkOptions } from './kafka.ts';
export { eventMessage, intervalRead } from './encode.ts';
export { liveMetricsRegistry } from './live-metrics.ts';
