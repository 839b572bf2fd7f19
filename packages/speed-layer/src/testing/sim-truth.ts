/**
 * Runs the simulator in memory and turns its ground truth into the realtime view the speed layer
 * must hold (interval values, meter sums, grid energy and meters reported per window), so tests
 * compare Redis with the truth file exactly. Only faults that leave the provisional view equal to
 * the truth may be switched on (duplicates, corrections, late, out-of-order, and the invalid
 * message kinds, which are extra messages); gaps, spikes, stuck meters and outages change what the
 * head-end reports, so the truth is not what the provisional view can show there.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { TopologyRow } from '@ami/shared/contracts';
import type { Partitioner } from '@ami/shared/partitioner';
import { intervalIndexInLocalDay, localDate, parseIsoInstant } from '@ami/shared/time';
import { NO_FAULTS, Simulation, topologyRow, type FaultRates, type MessageSink } from '@ami/simulator';
import { GRID_LEVELS, type GridLevel } from '../realtime-view/keys.ts';
import { readGridDay, readMeterDay } from '../realtime-view/read-view.ts';

export const PROVISIONAL_EXACT_FAULTS = [
  'duplicate',
  'correction',
  'late',
  'out_of_order',
  'malformed_json',
  'schema_violation',
  'out_of_range',
  'future_timestamp',
  'unknown_meter',
] as const;

export interface KeyedMessage {
  readonly key: string;
  readonly value: string;
}

export interface SimRun {
  readonly reads: KeyedMessage[];
  readonly events: KeyedMessage[];
  readonly topology: TopologyRow[];
  readonly truthLines: string[];
  readonly dates: string[];
  readonly timeZone: string;
}

export async function runSimulation(opts: {
  meters: number;
  days: number;
  startDate: string;
  seed: number;
  faults: Partial<Record<(typeof PROVISIONAL_EXACT_FAULTS)[number], number>>;
  timeZone?: string;
}): Promise<SimRun> {
  const timeZone = opts.timeZone ?? 'Europe/Stockholm';
  const reads: KeyedMessage[] = [];
  const events: KeyedMessage[] = [];
  const truthLines: string[] = [];
  const sink: MessageSink = {
    read: (key, value) => void reads.push({ key, value }),
    event: (key, value) => void events.push({ key, value }),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const faults: FaultRates = { ...NO_FAULTS, ...opts.faults };
  const sim = new Simulation(
    { seed: opts.seed, meters: opts.meters, days: opts.days, startDate: opts.startDate, timeZone, faults },
    sink,
    { line: (json) => void truthLines.push(json) },
  );
  await sim.run();
  const topology = sim.fleet.meters.map((m) => topologyRow(m, sim.fleet.validFrom));
  const dates = [...new Set(truthIntervals(truthLines).map((t) => localDate(t.startMs, timeZone)))].sort();
  return { reads, events, topology, truthLines, dates, timeZone };
}

interface TruthInterval {
  readonly meterId: string;
  readonly startMs: number;
  readonly wh: number;
}

function truthIntervals(lines: readonly string[]): TruthInterval[] {
  const out: TruthInterval[] = [];
  for (const line of lines) {
    const t = JSON.parse(line) as { fault?: string; meter_id?: string; interval_start?: string; wh?: number };
    if (t.fault !== undefined || t.meter_id === undefined || t.interval_start === undefined) continue;
    out.push({ meterId: t.meter_id, startMs: parseIsoInstant(t.interval_start), wh: t.wh ?? Number.NaN });
  }
  return out;
}

/** A realtime view reduced to what the truth determines (exact integers). */
export interface TruthView {
  /** meter|date|slot → Wh */
  readonly intervals: Map<string, number>;
  /** meter|date → daily Wh */
  readonly daily: Map<string, number>;
  /** level|id|date|window → {energyWh, meters} */
  readonly grid: Map<string, { energyWh: number; meters: number }>;
}

function emptyView(): TruthView {
  return { intervals: new Map(), daily: new Map(), grid: new Map() };
}

/** What the realtime view must hold after every read of the run is applied once. */
export function expectedFromTruth(run: SimRun): TruthView {
  const view = emptyView();
  const topo = new Map(run.topology.map((r) => [r.meter_id, r]));
  for (const t of truthIntervals(run.truthLines)) {
    const date = localDate(t.startMs, run.timeZone);
    const slot = intervalIndexInLocalDay(t.startMs, run.timeZone);
    view.intervals.set(`${t.meterId}|${date}|${slot}`, t.wh);
    view.daily.set(`${t.meterId}|${date}`, (view.daily.get(`${t.meterId}|${date}`) ?? 0) + t.wh);
    const row = topo.get(t.meterId);
    if (row === undefined) throw new Error(`truth names a meter outside the topology: ${t.meterId}`);
    const ids: Record<GridLevel, string> = {
      transformer: row.transformer_id,
      feeder: row.feeder_id,
      substation: row.substation_id,
      region: row.region,
    };
    for (const level of GRID_LEVELS) {
      const key = `${level}|${ids[level]}|${date}|${slot}`;
      const w = view.grid.get(key) ?? { energyWh: 0, meters: 0 };
      view.grid.set(key, { energyWh: w.energyWh + t.wh, meters: w.meters + 1 });
    }
  }
  return view;
}

/**
 * The same reduction of what Redis holds, read through the public readers (meters found by
 * `partitioner`, AMI_KAFKA_PARTITIONER, default murmur2).
 */
export async function realtimeViewOf(
  redis: RedisClient,
  keyPrefix: string,
  partitions: number,
  run: SimRun,
  partitioner?: Partitioner,
): Promise<TruthView> {
  const view = emptyView();
  for (const date of run.dates) {
    for (const row of run.topology) {
      const day = await readMeterDay(redis, keyPrefix, partitions, row.meter_id, date, partitioner);
      let any = false;
      day.intervals.forEach((s) => {
        if (s === undefined) return;
        any = true;
        view.intervals.set(`${row.meter_id}|${date}|${s.index}`, s.wh);
      });
      if (any) view.daily.set(`${row.meter_id}|${date}`, day.dailyWh);
    }
    const entities: [GridLevel, Set<string>][] = [
      ['transformer', new Set(run.topology.map((r) => r.transformer_id))],
      ['feeder', new Set(run.topology.map((r) => r.feeder_id))],
      ['substation', new Set(run.topology.map((r) => r.substation_id))],
      ['region', new Set(run.topology.map((r) => r.region))],
    ];
    for (const [level, ids] of entities) {
      for (const id of ids) {
        const windows = await readGridDay(redis, keyPrefix, partitions, level, id, date);
        windows.forEach((w, i) => {
          if (w.metersReported === 0 && w.energyWh === 0) return;
          view.grid.set(`${level}|${id}|${date}|${i}`, { energyWh: w.energyWh, meters: w.metersReported });
        });
      }
    }
  }
  return view;
}
