/**
 * @ami/simulator — the deterministic meter-fleet simulator of SPEC 8: topology, signals, faults,
 * files and Kafka modes, ground truth.
 */
export { runSimCli, runSim, SIM_HELP } from './cli.ts';
export { parseSimArgs, UsageError, type SimOptions, type SinkTarget } from './options.ts';
export { Simulation, simulate, type SimConfig, type SimSummary } from './simulator.ts';
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
  meterIdOf,
  topologyJsonl,
  topologyRow,
  type Fleet,
  type MeterSpec,
  type Transformer,
} from './topology.ts';
export { buildCalendar, type IntervalSlot, type SimCalendar } from './calendar.ts';
export { CountingSink, type MessageSink, type TruthSink } from './sink.ts';
export { FilesSink, writeTopologyFile } from './files.ts';
export { LineWriter } from './line-writer.ts';
