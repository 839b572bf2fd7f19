/**
 * The simulation engine: walks the simulated intervals in time order and, per interval, every
 * meter in read order (by its read delay), producing reads in read_ts order, events in event_ts
 * order, the truth, and the faults asked for. Energy is integer Wh throughout, so DAILY register
 * deltas equal the sums of the true interval energies exactly.
 */
import { defaultEventCodeTable, type Segment } from '@ami/shared/domain';
import { INTERVAL_MS, SECOND_MS, formatIsoOffset } from '@ami/shared/time';
import { Timeline, type IntervalSlot } from './calendar.ts';
import { MINUTE_SECOND, dailyRead, eventMessage, intervalRead, readPrefix } from './encode.ts';
import { FAULT_KINDS, READ_FAULTS, type FaultKind, type FaultRates, type ReadFault } from './faults.ts';
import { HeldMessages } from './heap.ts';
import { futureTimestamp, malformedJson, outOfRange, schemaViolation, unknownMeter } from './invalid.ts';
import { demandFactor, solarFactor } from './load.ts';
import { STREAM, gaussian, hash4, uniform, uniformInt } from './random.ts';
import type { MessageSink, TruthSink } from './sink.ts';
import { MAX_READ_DELAY_MS, buildFleet, type Fleet, type MeterSpec, type Transformer } from './topology.ts';
import { formatDecivolts, voltageDecivolts } from './voltage.ts';

export interface SimConfig {
  readonly seed: number;
  readonly meters: number;
  /** Local days to simulate; Infinity = until stopped (live mode). */
  readonly days: number;
  /** First simulated local date (YYYY-MM-DD) in timeZone. */
  readonly startDate: string;
  readonly timeZone: string;
  readonly faults: FaultRates;
  /**
   * The wall clock of the platform the messages go to (Kafka output). future_timestamp copies are
   * dated 2–30 days after the later of the simulated produce time and this clock, so they stay in
   * the future — and rejected — when past days are replayed. Absent (files output): simulated time
   * only, so the files are a pure function of the configuration.
   */
  readonly now?: () => number;
}

export interface SimSummary {
  readonly reads: number;
  readonly intervalReads: number;
  readonly dailyReads: number;
  readonly events: number;
  readonly truthIntervals: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
}

const SEGMENT_CODE: Readonly<Record<Segment, number>> = { residential: 0, commercial: 1, industrial: 2 };
const SEGMENT_OF_CODE: readonly Segment[] = ['residential', 'commercial', 'industrial'];
const NOISE_SIGMA = [0.35, 0.15, 0.08];
const CODE = {
  lastGasp: 3840,
  restored: 3843,
  tamperCover: 2048,
  tamperMagnetic: 2049,
  reverseEnergy: 1024,
} as const;

function eventDesc(code: number): string {
  return defaultEventCodeTable.get(code)?.description ?? String(code);
}

/** Runs a whole simulation into `sink` (and `truth`), returning what it produced. */
export function simulate(config: SimConfig, sink: MessageSink, truth?: TruthSink): Promise<SimSummary> {
  return new Simulation(config, sink, truth).run();
}

/**
 * Paces a run (live mode): awaited before messages are produced whose timestamps reach up to
 * `dueMs` — the DAILY reads at the first midnight, then each interval; `positionMs` is where the
 * simulation is (the interval's start). Resolves true to go on, false to stop there.
 */
export interface SlotGate {
  until(positionMs: number, dueMs: number): Promise<boolean>;
}

/** An outage injected while running (`Simulation.injectOutage`). */
export type InjectedOutage =
  | {
      readonly ok: true;
      readonly transformerId: string;
      readonly meterIds: readonly string[];
      /** When the meters lost power (their last gasps follow within 5 s) and when it comes back. */
      readonly fromMs: number;
      readonly toMs: number;
      /** The intervals without reads: every interval the outage touches. */
      readonly firstSlot: IntervalSlot;
      readonly intervals: number;
    }
  | {
      readonly ok: false;
      readonly error: 'unknown_transformer' | 'already_out' | 'ended';
      readonly message: string;
    };

/** Factors of one interval shared by every meter. */
interface SlotLoad {
  /** Wh per W of base load, per segment code. */
  readonly segDemand: readonly number[];
  /** Wh per W of PV peak under a clear sky. */
  readonly solarWhPerW: number;
  /** Feeder loading 0–1 (drives the voltage sag). */
  readonly feederLoad: number;
}

function slotLoad(slot: IntervalSlot): SlotLoad {
  return {
    segDemand: [0, 1, 2].map(
      (c) =>
        demandFactor(SEGMENT_OF_CODE[c] ?? 'residential', slot.localHour, slot.weekday, slot.dayOfYear) *
        0.25,
    ),
    solarWhPerW: solarFactor(slot.localHour, slot.dayOfYear) * 0.25,
    feederLoad: Math.min(1, demandFactor('residential', slot.localHour, slot.weekday, slot.dayOfYear) / 2.2),
  };
}

/** The intervals of one simulated local day. */
interface DaySpan {
  readonly day: number;
  /** Its first interval's index, and the index after its last. */
  readonly first: number;
  readonly end: number;
  /** Start of its first interval and its length (23–25 h). */
  readonly startMs: number;
  readonly lengthMs: number;
}

/** The per-read faults that add an invalid copy of the read (invalid.ts). */
type InvalidReadFault = Exclude<
  ReadFault,
  'duplicate' | 'correction' | 'gap' | 'late' | 'out_of_order' | 'spike'
>;

/** An interval read a per-read fault hit, as it would have been produced. */
interface FaultedRead {
  readonly slot: IntervalSlot;
  /** Meter index. */
  readonly m: number;
  readonly meterId: string;
  /** The meter's interval-read prefix (encode.ts). */
  readonly prefix: string;
  /** The true read, encoded. */
  readonly message: string;
  readonly readTsMs: number;
  readonly readTs: string;
  readonly deliveredWh: number;
  readonly receivedWh: number;
  readonly voltage: string;
  readonly pq: number;
}

/** Where a fault's truth line points: the read's meter and interval. */
function faultAt(read: FaultedRead): { meter_id: string; interval_start: string } {
  return { meter_id: read.meterId, interval_start: read.slot.startIso };
}

/** The faulted read encoded again with another delivered energy and read_ts. */
function reencode(read: FaultedRead, deliveredWh: number, readTs: string): string {
  const { slot } = read;
  return intervalRead(
    read.prefix,
    slot.startIso,
    slot.endIso,
    deliveredWh,
    read.receivedWh,
    read.voltage,
    read.pq,
    readTs,
  );
}

export class Simulation {
  readonly calendar: Timeline;
  readonly fleet: Fleet;
  private readonly seed: number;
  private readonly tz: string;
  private readonly rates: FaultRates;
  private readonly now: (() => number) | undefined;
  private readonly readFaultTotal: number;
  /** Meter indexes in read order (by read delay, then index). */
  private readonly order: Int32Array;
  private readonly intervalPrefix: string[];
  private readonly dailyPrefix: string[];
  private readonly truthPrefix: string[];
  private readonly delivered: Float64Array;
  private readonly received: Float64Array;
  private readonly gapLeft: Int32Array;
  private readonly stuckFrom: Int32Array;
  private readonly stuckTo: Int32Array;
  private readonly txOutFrom: Int32Array;
  private readonly txOutTo: Int32Array;
  private readonly feederSagV: Float64Array;
  /** Cloud factor per feeder of the day being simulated. */
  private readonly cloud: Float64Array;
  private readonly held = new HeldMessages();
  private readonly heldEvents = new HeldMessages();
  private readonly faultCounts: Record<FaultKind, number>;
  private reads = 0;
  private dailyReads = 0;
  private intervalReads = 0;
  private events = 0;
  private truthIntervals = 0;
  /** Index of the next interval to produce. */
  private nextSlot = 0;
  private injected = 0;
  private transformerById: Map<string, Transformer> | undefined;

  constructor(
    config: SimConfig,
    private readonly sink: MessageSink,
    private readonly truth?: TruthSink,
  ) {
    this.seed = config.seed >>> 0;
    this.tz = config.timeZone;
    this.rates = config.faults;
    this.now = config.now;
    this.readFaultTotal = READ_FAULTS.reduce((s, k) => s + config.faults[k], 0);
    if (this.readFaultTotal > 1) throw new RangeError('the per-read fault rates add up to more than 1');
    this.calendar = new Timeline(config.startDate, config.days, config.timeZone);
    this.fleet = buildFleet(this.seed, config.meters, this.calendar.startMs);
    const n = config.meters;
    const meters = this.fleet.meters;
    this.order = Int32Array.from(
      meters
        .map((m) => m.index)
        .sort((a, b) => (meters[a]?.readDelayS ?? 0) - (meters[b]?.readDelayS ?? 0) || a - b),
    );
    this.intervalPrefix = meters.map((m) => readPrefix(m, 'INTERVAL'));
    this.dailyPrefix = meters.map((m) => readPrefix(m, 'DAILY'));
    this.truthPrefix = meters.map((m) => `{"meter_id":"${m.meterId}","interval_start":"`);
    this.delivered = Float64Array.from(meters, (m) => m.deliveredRegisterStartWh);
    this.received = Float64Array.from(meters, (m) => m.receivedRegisterStartWh);
    this.gapLeft = new Int32Array(n);
    this.stuckFrom = new Int32Array(n).fill(-1);
    this.stuckTo = new Int32Array(n).fill(-1);
    const txCount = this.fleet.transformers.length;
    this.txOutFrom = new Int32Array(txCount).fill(-1);
    this.txOutTo = new Int32Array(txCount).fill(-1);
    const feeders = this.fleet.feederCount;
    this.feederSagV = Float64Array.from(
      { length: feeders },
      (_, f) => 6 + 8 * uniform(this.seed, STREAM.topology, f, 1_000_003),
    );
    this.cloud = new Float64Array(feeders);
    this.faultCounts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  }

  /**
   * Produces the whole simulation, flushing the sink after each interval. With a gate (live mode)
   * every interval waits for it, and the run ends where the gate says stop or after the last
   * interval; messages held for later (late reads, re-reads, events after the end) are then not
   * produced, since their time has not come. Without a gate they are produced at the end.
   */
  async run(gate?: SlotGate): Promise<SimSummary> {
    const cal = this.calendar;
    if (gate !== undefined && !(await gate.until(cal.startMs, cal.startMs + MAX_READ_DELAY_MS))) {
      return this.summary();
    }
    this.start();
    await this.sink.flush();
    for (const slot of cal.slots()) {
      if (gate !== undefined && !(await gate.until(slot.startMs, slot.endMs + MAX_READ_DELAY_MS))) {
        return this.summary();
      }
      this.step(slot);
      await this.sink.flush();
    }
    if (gate === undefined) {
      this.finish();
      await this.sink.flush();
    }
    return this.summary();
  }

  /** DAILY register reads at the first midnight. */
  start(): void {
    const midnightIso = this.calendar.midnightIso(0);
    const startMs = this.calendar.startMs;
    for (const m of this.order) {
      const meter = this.fleet.meters[m];
      if (meter === undefined) continue;
      const readTs = formatIsoOffset(startMs + meter.readDelayS * SECOND_MS, this.tz);
      this.emitDailyRead(m, meter.meterId, midnightIso, readTs);
    }
  }

  step(slot: IntervalSlot): void {
    if (slot.startsDay) this.planDay(slot.day);
    this.flushEvents(slot.endMs);
    this.nextSlot = slot.index + 1;
    const load = slotLoad(slot);
    const midnightIso = slot.endsDay ? this.calendar.midnightIso(slot.day + 1) : '';
    for (const m of this.order) {
      const meter = this.fleet.meters[m];
      if (meter === undefined) continue;
      const readTsMs = slot.endMs + meter.readDelayS * SECOND_MS;
      while (this.held.nextAt <= readTsMs) this.emitHeld();
      const out = this.transformerOut(meter.transformerIndex, slot.index);
      const netWh = out ? 0 : this.meterNetWh(meter, slot.index, load);
      const deliveredWh = netWh >= 0 ? netWh : 0;
      const receivedWh = netWh < 0 ? -netWh : 0;
      this.truth?.line(`${this.truthPrefix[m] ?? ''}${slot.startIso}","wh":${deliveredWh - receivedWh}}`);
      this.truthIntervals++;
      if (out) {
        // A gap that runs into an outage still ends where its truth line says.
        const left = this.gapLeft[m] ?? 0;
        if (left > 0) this.gapLeft[m] = left - 1;
        continue;
      }
      this.delivered[m] = (this.delivered[m] ?? 0) + deliveredWh;
      this.received[m] = (this.received[m] ?? 0) + receivedWh;
      const readTs =
        slot.endHourPrefix + (MINUTE_SECOND[slot.endMinute * 60 + meter.readDelayS] ?? '') + slot.endOffset;
      this.produceIntervalRead(slot, meter, readTsMs, readTs, deliveredWh, receivedWh, load.feederLoad);
      if (slot.endsDay) this.emitDailyRead(m, meter.meterId, midnightIso, readTs);
    }
  }

  /** Produces everything still held back. */
  finish(): void {
    while (this.held.size > 0) this.emitHeld();
    this.flushEvents(Infinity);
  }

  /** Produces the held events whose event_ts ≤ `nowMs`; returns how many. */
  releaseDueEvents(nowMs: number): number {
    const before = this.events;
    this.flushEvents(Math.floor(nowMs) + 1);
    return this.events - before;
  }

  /** event_ts of the earliest held event, or Infinity. */
  get nextEventAtMs(): number {
    return this.heldEvents.nextAt;
  }

  /** Index of the next interval to produce. */
  get nextSlotIndex(): number {
    return this.nextSlot;
  }

  /**
   * Takes a transformer down at `atMs` (the simulated now, at or after the last produced interval's
   * reads) for `minutes`: each of its meters sends a last gasp (3840) within 5 s of atMs and a
   * restore (3843) 1–30 s after the end, no interval or DAILY reads are produced for the intervals
   * the outage touches (truth: 0 Wh), and an `outage` truth line is written. `transformerId`
   * undefined = the first transformer that is not out. Refused when the transformer is out or has an
   * outage planned, or when the outage would start after the simulation's end.
   */
  injectOutage(transformerId: string | undefined, atMs: number, minutes: number): InjectedOutage {
    const cal = this.calendar;
    const from = Math.max(cal.slotIndexAt(atMs), this.nextSlot);
    const toMs = atMs + Math.round(minutes * 60_000);
    const to = Math.min(cal.slotCount, Math.max(from + 1, cal.slotIndexAt(toMs - 1) + 1));
    if (from >= cal.slotCount) {
      return { ok: false, error: 'ended', message: 'the simulation has ended' };
    }
    const isOut = (t: Transformer): boolean => (this.txOutTo[t.index] ?? -1) > this.nextSlot;
    let tx: Transformer | undefined;
    if (transformerId === undefined) {
      tx = this.fleet.transformers.find((t) => !isOut(t));
      if (tx === undefined) return { ok: false, error: 'already_out', message: 'every transformer is out' };
    } else {
      this.transformerById ??= new Map(this.fleet.transformers.map((t) => [t.transformerId, t]));
      tx = this.transformerById.get(transformerId);
      if (tx === undefined) {
        return { ok: false, error: 'unknown_transformer', message: `no transformer ${transformerId}` };
      }
      if (isOut(tx)) {
        const until = formatIsoOffset(cal.slot((this.txOutTo[tx.index] ?? 1) - 1).endMs, this.tz);
        return {
          ok: false,
          error: 'already_out',
          message: `${transformerId} is out, or has an outage planned, until ${until}`,
        };
      }
    }
    const n = this.injected++;
    this.txOutFrom[tx.index] = from;
    this.txOutTo[tx.index] = to;
    const meterIds = tx.meters.map((m) => this.fleet.meters[m]?.meterId ?? '');
    tx.meters.forEach((m, i) => {
      const id = meterIds[i] ?? '';
      this.pushEvent(atMs + (hash4(this.seed, STREAM.control, m, n * 2) % 5000), id, CODE.lastGasp);
      this.pushEvent(
        toMs + 1000 + (hash4(this.seed, STREAM.control, m, n * 2 + 1) % 29_000),
        id,
        CODE.restored,
      );
    });
    const firstSlot = cal.slot(from);
    this.fault('outage', {
      transformer_id: tx.transformerId,
      meter_ids: meterIds,
      from: formatIsoOffset(atMs, this.tz),
      to: formatIsoOffset(toMs, this.tz),
      first_interval_start: firstSlot.startIso,
      intervals: to - from,
      last_gasp_code: CODE.lastGasp,
      restore_code: CODE.restored,
      injected: true,
    });
    return {
      ok: true,
      transformerId: tx.transformerId,
      meterIds,
      fromMs: atMs,
      toMs,
      firstSlot,
      intervals: to - from,
    };
  }

  summary(): SimSummary {
    return {
      reads: this.reads,
      intervalReads: this.intervalReads,
      dailyReads: this.dailyReads,
      events: this.events,
      truthIntervals: this.truthIntervals,
      faults: { ...this.faultCounts },
    };
  }

  /** The DAILY register read of meter index `m` at a local midnight (registers = cumulative sums). */
  private emitDailyRead(m: number, meterId: string, midnightIso: string, readTs: string): void {
    this.emitRead(
      meterId,
      dailyRead(
        this.dailyPrefix[m] ?? '',
        midnightIso,
        this.delivered[m] ?? 0,
        this.received[m] ?? 0,
        readTs,
      ),
    );
    this.dailyReads++;
  }

  private emitRead(key: string, value: string): void {
    this.sink.read(key, value);
    this.reads++;
  }

  private emitIntervalRead(key: string, value: string): void {
    this.emitRead(key, value);
    this.intervalReads++;
  }

  private emitHeld(): void {
    const h = this.held.pop();
    if (h === undefined) return;
    this.emitIntervalRead(h.key, h.value);
  }

  private flushEvents(beforeMs: number): void {
    while (this.heldEvents.nextAt < beforeMs) {
      const e = this.heldEvents.pop();
      if (e === undefined) break;
      this.sink.event(e.key, e.value);
      this.events++;
    }
  }

  private fault(kind: FaultKind, details: Record<string, unknown>): void {
    this.faultCounts[kind]++;
    this.truth?.line(JSON.stringify({ fault: kind, ...details }));
  }

  /** Whether transformer `t` is out during interval `k`. */
  private transformerOut(t: number, k: number): boolean {
    return k >= (this.txOutFrom[t] ?? -1) && k < (this.txOutTo[t] ?? -1);
  }

  /** The meter's true net energy of interval `k` in Wh (demand with noise, less PV; < 0 = export). */
  private meterNetWh(meter: MeterSpec, k: number, load: SlotLoad): number {
    const m = meter.index;
    const sc = SEGMENT_CODE[meter.segment];
    const noise = Math.max(0.1, 1 + (NOISE_SIGMA[sc] ?? 0.2) * gaussian(this.seed, STREAM.loadNoise, m, k));
    const demandWh = Math.round(meter.baseW * (load.segDemand[sc] ?? 0) * noise);
    const pvWh =
      meter.pvPeakW === 0
        ? 0
        : Math.round(meter.pvPeakW * load.solarWhPerW * (this.cloud[meter.feederIndex] ?? 1));
    return demandWh - pvWh;
  }

  /**
   * The meter's interval read of `slot`: none while a gap lasts, 0 Wh while it is stuck, else the
   * true read — or, when a per-read fault hits it, what that fault makes of it.
   */
  private produceIntervalRead(
    slot: IntervalSlot,
    meter: MeterSpec,
    readTsMs: number,
    readTs: string,
    deliveredWh: number,
    receivedWh: number,
    feederLoad: number,
  ): void {
    const m = meter.index;
    const k = slot.index;
    const gap = this.gapLeft[m] ?? 0;
    if (gap > 0) {
      this.gapLeft[m] = gap - 1;
      return;
    }
    const dv = voltageDecivolts(
      meter.voltageOffsetV,
      this.feederSagV[meter.feederIndex] ?? 8,
      meter.feederPosition,
      feederLoad,
      0.6 * gaussian(this.seed, STREAM.voltageNoise, m, k),
    );
    const voltage = formatDecivolts(dv);
    const pq = dv < 2070 || dv > 2530 ? 1 : 0;
    const prefix = this.intervalPrefix[m] ?? '';
    if (k >= (this.stuckFrom[m] ?? -1) && k < (this.stuckTo[m] ?? -1)) {
      this.emitIntervalRead(
        meter.meterId,
        intervalRead(prefix, slot.startIso, slot.endIso, 0, 0, voltage, pq, readTs),
      );
      return;
    }
    const fault = this.readFaultOf(m, k);
    const message = intervalRead(
      prefix,
      slot.startIso,
      slot.endIso,
      deliveredWh,
      receivedWh,
      voltage,
      pq,
      readTs,
    );
    if (fault === undefined) this.emitIntervalRead(meter.meterId, message);
    else {
      const read = { slot, m, meterId: meter.meterId, prefix, message, readTsMs, readTs };
      this.applyReadFault(fault, { ...read, deliveredWh, receivedWh, voltage, pq });
    }
  }

  /** The per-read fault that hits meter `m`'s read of interval `k`, if any. */
  private readFaultOf(m: number, k: number): ReadFault | undefined {
    const u = this.readFaultTotal > 0 ? uniform(this.seed, STREAM.faultPick, m, k) : 1;
    return u < this.readFaultTotal ? this.readFaultAt(u) : undefined;
  }

  private readFaultAt(u: number): ReadFault | undefined {
    let acc = 0;
    for (const kind of READ_FAULTS) {
      acc += this.rates[kind];
      if (u < acc) return kind;
    }
    return undefined;
  }

  private applyReadFault(kind: ReadFault, read: FaultedRead): void {
    switch (kind) {
      case 'duplicate':
        this.emitIntervalRead(read.meterId, read.message);
        this.emitIntervalRead(read.meterId, read.message);
        this.fault(kind, { ...faultAt(read), read_type: 'INTERVAL', read_ts: read.readTs });
        return;
      case 'correction':
        return this.correctionFault(read);
      case 'gap':
        return this.gapFault(read);
      case 'late':
        return this.lateFault(read);
      case 'out_of_order':
        // Produced right after the meter's next interval read, keeping its own (earlier) read_ts.
        this.held.push(read.readTsMs + INTERVAL_MS + 1, read.meterId, read.message);
        this.fault(kind, { ...faultAt(read), read_ts: read.readTs });
        return;
      case 'spike':
        return this.spikeFault(read);
      default:
        return this.invalidReadFault(kind, read);
    }
  }

  /** Fault detail draw `b` (0..15) of a faulted read. */
  private faultDetail(read: FaultedRead, b: number): number {
    return uniform(this.seed, STREAM.faultDetail, read.m, read.slot.index * 16 + b);
  }

  /** A wrong value now, the true one re-read 1–48 h later (a newer read_ts: latest wins). */
  private correctionFault(read: FaultedRead): void {
    const { deliveredWh, receivedWh, readTs } = read;
    const scaled = Math.round(deliveredWh * (0.3 + 2.7 * this.faultDetail(read, 0))) + 500;
    const wrongDelivered = scaled === deliveredWh ? scaled + 1 : scaled;
    this.emitIntervalRead(read.meterId, reencode(read, wrongDelivered, readTs));
    const laterMs =
      read.readTsMs +
      3_600_000 +
      Math.floor((this.faultDetail(read, 1) * 47 * 3_600_000) / SECOND_MS) * SECOND_MS;
    const laterTs = formatIsoOffset(laterMs, this.tz);
    this.held.push(laterMs, read.meterId, reencode(read, deliveredWh, laterTs));
    this.fault('correction', {
      ...faultAt(read),
      wrong_wh: wrongDelivered - receivedWh,
      true_wh: deliveredWh - receivedWh,
      first_read_ts: readTs,
      corrected_read_ts: laterTs,
    });
  }

  /** No reads for 1–8 intervals from this one on (the rest are skipped through gapLeft). */
  private gapFault(read: FaultedRead): void {
    const { slot } = read;
    const run = Math.min(1 + Math.floor(this.faultDetail(read, 0) * 8), this.calendar.slotCount - slot.index);
    this.gapLeft[read.m] = run - 1;
    const starts = Array.from({ length: run }, (_, j) => this.calendar.slot(slot.index + j).startIso);
    this.fault('gap', { meter_id: read.meterId, interval_starts: starts });
  }

  /** The read produced 10 min – 3 days late, with that later read_ts. */
  private lateFault(read: FaultedRead): void {
    const delayS = 600 + Math.floor(this.faultDetail(read, 0) * (3 * 86_400 - 600));
    const lateMs = read.readTsMs + delayS * SECOND_MS;
    const lateTs = formatIsoOffset(lateMs, this.tz);
    this.held.push(lateMs, read.meterId, reencode(read, read.deliveredWh, lateTs));
    this.fault('late', { ...faultAt(read), read_ts: lateTs, delay_s: delayS });
  }

  /** The delivered energy reported 20–80 times too high (capped at 9 MWh). */
  private spikeFault(read: FaultedRead): void {
    const { deliveredWh, receivedWh } = read;
    const base = Math.max(deliveredWh, receivedWh, 200);
    const spikeDelivered = Math.min(9_000_000, Math.round(base * (20 + 60 * this.faultDetail(read, 0))));
    this.emitIntervalRead(read.meterId, reencode(read, spikeDelivered, read.readTs));
    this.fault('spike', {
      ...faultAt(read),
      reported_wh: spikeDelivered - receivedWh,
      true_wh: deliveredWh - receivedWh,
    });
  }

  /** The true read, then an invalid copy of it that validation rejects (invalid.ts). */
  private invalidReadFault(kind: InvalidReadFault, read: FaultedRead): void {
    const { message, meterId } = read;
    this.emitIntervalRead(meterId, message);
    const src = {
      message,
      startMs: read.slot.startMs,
      readTsMs: read.readTsMs,
      timeZone: this.tz,
      nowMs: this.now?.(),
    };
    const pick = this.faultDetail(read, 0);
    const bad =
      kind === 'malformed_json'
        ? malformedJson(src, pick)
        : kind === 'schema_violation'
          ? schemaViolation(src, pick)
          : kind === 'out_of_range'
            ? outOfRange(src, pick)
            : kind === 'future_timestamp'
              ? futureTimestamp(src, pick)
              : unknownMeter(src, meterId, pick);
    this.emitRead(meterId, bad.message);
    this.fault(kind, {
      ...faultAt(read),
      topic: 'reads',
      variant: bad.variant,
      reason: bad.reason,
      now: read.readTs,
      message: bad.message,
    });
  }

  /** Decides the day's cloudiness and the per-day faults (stuck meters, events, outages). */
  private planDay(day: number): void {
    const cal = this.calendar;
    const first = cal.firstSlotOfDay(day);
    const end = Math.min(cal.firstSlotOfDay(day + 1), cal.slotCount);
    const startMs = cal.slot(first).startMs;
    const span: DaySpan = { day, first, end, startMs, lengthMs: cal.slot(end - 1).endMs - startMs };
    this.planClouds(day);
    const r = this.rates;
    if (r.stuck_at_zero > 0 || r.tamper > 0 || r.reverse_energy > 0) {
      for (const meter of this.fleet.meters) this.planMeterDay(meter, span);
    }
    if (r.outage > 0) {
      for (const tx of this.fleet.transformers) this.planTransformerDay(tx, span);
    }
  }

  /** Cloud factor per feeder for the day: regional weather, feeders of a substation share most of it. */
  private planClouds(day: number): void {
    const feeders = this.fleet.feederCount;
    for (let f = 0; f < feeders; f++) {
      const shared = uniform(this.seed, STREAM.pvCloud, day, Math.floor(f / 4));
      const own = uniform(this.seed, STREAM.pvCloud, day, 100_000 + f);
      this.cloud[f] = Math.max(0.15, Math.min(1, 0.2 + 0.7 * shared + 0.2 * own));
    }
  }

  /** A meter's faults of the day: stuck at zero, tamper, reverse energy. */
  private planMeterDay(meter: MeterSpec, span: DaySpan): void {
    const cal = this.calendar;
    const r = this.rates;
    const m = meter.index;
    const { day, first, end, startMs: dayStartMs, lengthMs: dayLengthMs } = span;
    const u = (b: number): number => uniform(this.seed, STREAM.dayFaults, m, day * 16 + b);
    if (u(0) < r.stuck_at_zero) {
      const from = first + Math.floor(u(1) * (end - first));
      const to = Math.min(cal.slotCount, from + 8 + Math.floor(u(2) * 25));
      this.stuckFrom[m] = from;
      this.stuckTo[m] = to;
      this.fault('stuck_at_zero', {
        meter_id: meter.meterId,
        first_interval_start: cal.slot(from).startIso,
        last_interval_start: cal.slot(to - 1).startIso,
        intervals: to - from,
      });
    }
    if (u(3) < r.tamper) {
      const code = u(4) < 0.5 ? CODE.tamperCover : CODE.tamperMagnetic;
      const ts = dayStartMs + Math.floor(u(5) * dayLengthMs);
      this.pushEvent(ts, meter.meterId, code);
      this.fault('tamper', {
        meter_id: meter.meterId,
        event_code: code,
        event_ts: formatIsoOffset(ts, this.tz),
      });
    }
    if (!meter.prosumer && u(6) < r.reverse_energy) {
      const ts = dayStartMs + Math.floor(u(7) * dayLengthMs);
      this.pushEvent(ts, meter.meterId, CODE.reverseEnergy);
      this.fault('reverse_energy', {
        meter_id: meter.meterId,
        event_code: CODE.reverseEnergy,
        event_ts: formatIsoOffset(ts, this.tz),
      });
    }
  }

  /** A transformer's outage of the day, unless yesterday's is still on. */
  private planTransformerDay(tx: Transformer, span: DaySpan): void {
    const { day, first, end } = span;
    const seed = this.seed;
    const cal = this.calendar;
    const t = tx.index;
    if ((this.txOutTo[t] ?? -1) > first) return; // an outage from yesterday is still on
    if (uniform(seed, STREAM.transformerFaults, t, day * 4) >= this.rates.outage) return;
    const from = first + Math.floor(uniform(seed, STREAM.transformerFaults, t, day * 4 + 1) * (end - first));
    const to = Math.min(
      cal.slotCount,
      from + uniformInt(seed, STREAM.transformerFaults, t, day * 4 + 2, 1, 8),
    );
    this.txOutFrom[t] = from;
    this.txOutTo[t] = to;
    const fromMs = cal.slot(from).startMs;
    const toMs = cal.slot(to - 1).endMs;
    for (const m of tx.meters) {
      const id = this.fleet.meters[m]?.meterId ?? '';
      this.pushEvent(
        fromMs + (hash4(seed, STREAM.transformerFaults, m, day * 4 + 3) % 5000),
        id,
        CODE.lastGasp,
      );
      this.pushEvent(
        toMs + 1000 + (hash4(seed, STREAM.transformerFaults, m, day * 4 + 4) % 29_000),
        id,
        CODE.restored,
      );
    }
    this.fault('outage', {
      transformer_id: tx.transformerId,
      meter_ids: tx.meters.map((m) => this.fleet.meters[m]?.meterId),
      from: formatIsoOffset(fromMs, this.tz),
      to: formatIsoOffset(toMs, this.tz),
      first_interval_start: cal.slot(from).startIso,
      intervals: to - from,
      last_gasp_code: CODE.lastGasp,
      restore_code: CODE.restored,
    });
  }

  private pushEvent(ts: number, meterId: string, code: number): void {
    this.heldEvents.push(
      ts,
      meterId,
      eventMessage(meterId, code, eventDesc(code), formatIsoOffset(ts, this.tz)),
    );
  }
}
