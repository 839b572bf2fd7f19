/**
 * Integration-test harness for the alert engine: runs the simulator into memory, applies its reads
 * to a real realtime view (planReadBatch + applyChunk, as the consumer does), validates its events,
 * and drives engines tick by tick (15 minutes of produce time per tick) with the global watermark.
 * Also an independent model of the expected alerts, computed from the messages, the truth file's
 * fault lines and the topology with plain maps (no engine code). And `readTopics`, which reads
 * topics back from Kafka (root `test/support/kafka.ts`).
 */
import type { KafkaClients, KafkaRecord, RedisClient } from '@ami/shared/clients';
import {
  buildTopologyIndex,
  validateEvent,
  type TopologyIndex,
  type TopologyRow,
  type ValidEvent,
} from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { parseIsoInstant } from '@ami/shared/time';
import { NO_FAULTS, Simulation, topologyRow, type FaultRates } from '@ami/simulator';
import { partitionOfMeter } from '@ami/shared/partitioner';
import { PartitionWatermarks } from '../../src/watermark.ts';
import { applyChunk } from '../../src/realtime-view/apply.ts';
import { planReadBatch, type InboundMessage } from '../../src/consumer/plan-reads.ts';
import type { AlertEngine } from '../../src/alerts/engine.ts';
import { readTopic } from '../../../../test/support/kafka.ts';

export const TZ = 'Europe/Stockholm';
export const W = 900_000;
export const LATENESS_MS = 600_000;

export interface Msg {
  readonly key: string;
  value: string;
  readonly atMs: number;
}

export interface Feed {
  readonly reads: Msg[];
  readonly events: Msg[];
  readonly truth: Record<string, unknown>[];
  readonly rows: TopologyRow[];
  readonly startMs: number;
  readonly endMs: number;
}

export async function simulateFeed(opts: {
  seed: number;
  meters: number;
  startDate: string;
  faults: Partial<FaultRates>;
}): Promise<Feed> {
  const reads: Msg[] = [];
  const events: Msg[] = [];
  const truth: Record<string, unknown>[] = [];
  const sim = new Simulation(
    {
      seed: opts.seed,
      meters: opts.meters,
      days: 1,
      startDate: opts.startDate,
      timeZone: TZ,
      faults: { ...NO_FAULTS, ...opts.faults },
    },
    {
      read: (key, value) => {
        reads.push({ key, value, atMs: parseIsoInstant((JSON.parse(value) as { read_ts: string }).read_ts) });
      },
      event: (key, value) => {
        events.push({
          key,
          value,
          atMs: parseIsoInstant((JSON.parse(value) as { event_ts: string }).event_ts),
        });
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    },
    {
      line: (json) => {
        const o = JSON.parse(json) as Record<string, unknown>;
        if ('fault' in o) truth.push(o);
      },
    },
  );
  await sim.run();
  const rows = sim.fleet.meters.map((m) => topologyRow(m, sim.fleet.validFrom));
  return {
    reads,
    events,
    truth,
    rows,
    startMs: sim.calendar.startMs,
    endMs: sim.calendar.startMs + 86_400_000,
  };
}

/** Applies reads to the realtime view partition by partition, as the consumer would. */
export class ViewFeeder {
  readonly watermarks = new PartitionWatermarks({ allowedLatenessMs: LATENESS_MS, idleTimeoutMs: 60_000 });
  private readonly offsets = new Map<number, bigint>();
  private readonly topology: TopologyIndex;

  constructor(
    private readonly redis: RedisClient,
    readonly prefix: string,
    readonly partitions: number,
    rows: readonly TopologyRow[],
  ) {
    this.topology = buildTopologyIndex(rows);
  }

  async apply(reads: readonly Msg[], nowMs: number): Promise<void> {
    const parts = new Map<number, InboundMessage[]>();
    for (const m of reads) {
      const p = partitionOfMeter(m.key, this.partitions);
      const offset = this.offsets.get(p) ?? 0n;
      this.offsets.set(p, offset + 1n);
      const list = parts.get(p) ?? [];
      list.push({ offset, key: Buffer.from(m.key), value: Buffer.from(m.value) });
      parts.set(p, list);
    }
    for (const [p, messages] of parts) {
      const plan = planReadBatch(messages, {
        topic: 'reads',
        partition: p,
        keyPrefix: this.prefix,
        timeZone: TZ,
        nowMs,
        validation: { nowMs, timeZone: TZ },
        topology: this.topology,
        retentionDays: 7,
        maxMessagesPerChunk: 500,
        watermarks: this.watermarks,
      });
      if (plan.dlq.length > 0) throw new Error(`unexpected DLQ: ${JSON.stringify(plan.dlq[0])}`);
      for (const c of plan.chunks) await applyChunk(this.redis, this.prefix, c);
    }
  }
}

export function validEvents(events: readonly Msg[], nowMs: number): ValidEvent[] {
  return events.map((m) => {
    const v = validateEvent(m.value, { nowMs, eventCodes: defaultEventCodeTable });
    if (!v.ok) throw new Error(`invalid event ${m.value}: ${v.detail}`);
    return v.event;
  });
}

/**
 * Feeds everything in produce order, one tick (15 minutes of produce time) at a time: the tick's
 * reads into the view, its events to every engine, then the global watermark to every engine (all
 * engines concurrently, as separate instances would). Returns the last shared watermark.
 */
export async function drive(
  feed: Feed,
  feeder: ViewFeeder,
  engines: readonly AlertEngine[],
): Promise<number> {
  let ri = 0;
  let ei = 0;
  let wm = -Infinity;
  const lastAt = Math.max(...feed.reads.map((r) => r.atMs), ...feed.events.map((e) => e.atMs));
  for (let t = feed.startMs + W; t <= lastAt + W; t += W) {
    const reads: Msg[] = [];
    while (ri < feed.reads.length && (feed.reads[ri] as Msg).atMs < t) reads.push(feed.reads[ri++] as Msg);
    const events: Msg[] = [];
    while (ei < feed.events.length && (feed.events[ei] as Msg).atMs < t)
      events.push(feed.events[ei++] as Msg);
    await feeder.apply(reads, t);
    const valid = validEvents(events, t);
    await Promise.all(engines.map((e) => e.onEvents(valid)));
    const results = await Promise.all(
      engines.map((e) => e.onWatermark(feeder.watermarks.globalWatermark(t), t)),
    );
    wm = Math.min(...results.map((r) => r.watermarkMs));
  }
  return wm;
}

/** A transition reduced to what the model predicts. */
export interface Expected {
  readonly type: string;
  readonly entity: string;
  readonly openedMs: number;
  readonly clearedMs: number | null;
}

export function key(e: Expected): string {
  return `${e.type}|${e.entity}|${e.openedMs}|${e.clearedMs ?? 'open'}`;
}

interface OutageTruth {
  readonly gasps: Map<string, number>;
  readonly restores: Map<string, number>;
}

/**
 * The alerts the rules of the README predict for `feed` (window alerts over windows whose end is at
 * or before `lastEndMs`, event and outage alerts over every event), written independently of the
 * engine: reads present and their voltages from the messages, outages from the event messages.
 */
export function model(feed: Feed, lastEndMs: number, k = 4): Expected[] {
  const out: Expected[] = [];
  const meterTx = new Map(feed.rows.map((r) => [r.meter_id, r.transformer_id]));
  const txMeters = new Map<string, string[]>();
  for (const r of feed.rows)
    txMeters.set(r.transformer_id, [...(txMeters.get(r.transformer_id) ?? []), r.meter_id]);
  const volts = new Map<string, number>(); // meter|start -> cV
  for (const m of feed.reads) {
    const r = JSON.parse(m.value) as {
      read_type: string;
      meter_id: string;
      interval_start: string;
      voltage_v: number;
    };
    if (r.read_type !== 'INTERVAL') continue;
    volts.set(`${r.meter_id}|${parseIsoInstant(r.interval_start)}`, Math.round(r.voltage_v * 100));
  }
  // Events: outage bookkeeping and EVENT alerts.
  const outages = new Map<string, OutageTruth>();
  const openEvent = new Map<string, number>();
  const gaspOpenAt = new Map<string, number>();
  for (const m of feed.events) {
    const e = JSON.parse(m.value) as { meter_id: string; event_code: number };
    const def = defaultEventCodeTable.get(e.event_code);
    if (def === undefined) throw new Error('unknown code');
    const tx = meterTx.get(e.meter_id) ?? '';
    const o = outages.get(tx) ?? { gasps: new Map(), restores: new Map() };
    outages.set(tx, o);
    const dk = `${def.name}|${e.meter_id}`;
    if (def.alert && !openEvent.has(dk)) openEvent.set(dk, m.atMs);
    if (def.outage === 'opens') {
      o.gasps.set(e.meter_id, m.atMs);
      gaspOpenAt.set(e.meter_id, m.atMs);
    }
    if (def.outage === 'clears') {
      o.restores.set(e.meter_id, m.atMs);
      const pk = `POWER_OUTAGE|${e.meter_id}`;
      const opened = openEvent.get(pk);
      if (opened !== undefined) {
        out.push({ type: 'POWER_OUTAGE', entity: e.meter_id, openedMs: opened, clearedMs: m.atMs });
        openEvent.delete(pk);
      }
    }
  }
  for (const [dk, at] of openEvent) {
    const [type = '', entity = ''] = dk.split('|');
    out.push({ type, entity, openedMs: at, clearedMs: null });
  }
  // TRANSFORMER_OUTAGE: the simulator's outages gasp within 5 s and restore every meter.
  for (const [tx, o] of outages) {
    if (o.gasps.size < 3 && o.gasps.size * 2 < (txMeters.get(tx)?.length ?? 0)) continue;
    const opened = Math.min(...o.gasps.values());
    const restored = [...o.gasps.keys()].every((m) => (o.restores.get(m) ?? -1) >= (o.gasps.get(m) ?? 0));
    out.push({
      type: 'TRANSFORMER_OUTAGE',
      entity: tx,
      openedMs: opened,
      clearedMs: restored ? Math.max(...o.restores.values()) : null,
    });
  }
  // Window alerts.
  const isOut = (tx: string, meter: string, ws: number): boolean => {
    const o = outages.get(tx);
    const g = o?.gasps.get(meter);
    if (o === undefined || g === undefined || g >= ws + W) return false;
    const r = o.restores.get(meter);
    return !(r !== undefined && r >= g && r <= ws);
  };
  for (const [tx, meters] of txMeters) {
    const open = new Map<string, number>();
    const transition = (type: string, entity: string, breach: boolean | null, ws: number, openedMs = ws) => {
      const k2 = `${type}|${entity}`;
      if (breach === true && !open.has(k2)) open.set(k2, openedMs);
      else if (breach === false && open.has(k2)) {
        out.push({ type, entity, openedMs: open.get(k2) as number, clearedMs: ws });
        open.delete(k2);
      }
    };
    const runs = new Map<string, number>();
    for (let ws = feed.startMs; ws + W <= lastEndMs; ws += W) {
      const reporters = meters.filter((m) => volts.has(`${m}|${ws}`));
      const outNow = meters.filter((m) => isOut(tx, m, ws));
      const expected = meters.length - outNow.length;
      transition('LOW_RECEIPT_RATE', tx, expected > 0 ? reporters.length * 100 < 80 * expected : null, ws);
      const vs = reporters.map((m) => volts.get(`${m}|${ws}`) as number);
      transition('LOW_VOLTAGE', tx, vs.length > 0 ? Math.min(...vs) < 20700 : null, ws);
      transition('HIGH_VOLTAGE', tx, vs.length > 0 ? Math.max(...vs) > 25300 : null, ws);
      for (const m of meters) {
        const present = volts.has(`${m}|${ws}`);
        const others = reporters.filter((x) => x !== m).length;
        const missed = !present && !outNow.includes(m) && others >= 1;
        const run = missed ? (runs.get(m) ?? 0) + 1 : 0;
        runs.set(m, run);
        if (run >= k) transition('METER_COMM_LOSS', m, true, ws, ws - (k - 1) * W);
        else if (present) transition('METER_COMM_LOSS', m, false, ws);
      }
    }
    for (const [k2, openedMs] of open) {
      const [type = '', entity = ''] = k2.split('|');
      out.push({ type, entity, openedMs, clearedMs: null });
    }
  }
  return out.sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Reads `topics` from the beginning in group `groupId` (nothing committed) until at least `count`
 * records arrived, each partition's in offset order; fails after `timeoutMs` with fewer.
 */
export function readTopics(
  kafka: KafkaClients,
  topics: readonly string[],
  groupId: string,
  count: number,
  timeoutMs = 60_000,
): Promise<KafkaRecord[]> {
  return readTopic(kafka, topics, count, { groupId, timeoutMs });
}
