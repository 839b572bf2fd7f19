/**
 * Test fixtures: a small deterministic fleet, reads with duplicates, corrections, same-read_ts ties
 * and invalid messages, and an independent model of the realtime view computed with the shared
 * latest-wins rule (compareReadVersions) and plain maps — no code of the speed layer.
 */
import {
  compareReadVersions,
  validateRead,
  type TopologyRow,
  type ValidIntervalRead,
} from '@ami/shared/contracts';
import { formatIsoUtc, localDate, localDayBounds, intervalIndexInLocalDay } from '@ami/shared/time';

export const TZ = 'Europe/Stockholm';
const HOUR = 3_600_000;

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 4_294_967_296;
  };
}

export interface Meter {
  readonly meterId: string;
  readonly transformerId: string;
  readonly feederId: string;
  readonly substationId: string;
  readonly region: string;
}

export function fleet(n: number, perTransformer = 5, perFeeder = 3): Meter[] {
  return Array.from({ length: n }, (_, i) => {
    const t = Math.floor(i / perTransformer);
    const f = Math.floor(t / perFeeder);
    return {
      meterId: `MTR-${String(i).padStart(6, '0')}`,
      transformerId: `TR-${String(t).padStart(4, '0')}`,
      feederId: `FD-${String(f).padStart(3, '0')}`,
      substationId: `SS-${Math.floor(f / 2)}`,
      region: `REG-${Math.floor(f / 4)}`,
    };
  });
}

export function topologyRows(meters: readonly Meter[]): TopologyRow[] {
  return meters.map((m) => ({
    meter_id: m.meterId,
    service_point_id: `SP-${m.meterId}`,
    customer_id: `CU-${m.meterId}`,
    transformer_id: m.transformerId,
    feeder_id: m.feederId,
    substation_id: m.substationId,
    region: m.region,
    segment: 'residential',
    tariff: 'flat',
    prosumer: false,
    valid_from: '2020-01-01T00:00:00.000Z',
    valid_to: null,
  }));
}

export interface ReadSpec {
  readonly meter: Meter;
  readonly startMs: number;
  readonly deliveredWh: number;
  readonly receivedWh: number;
  readonly voltage: number;
  readonly estimated: boolean;
  readonly readTsMs: number;
}

export function readJson(r: ReadSpec): string {
  return JSON.stringify({
    meter_id: r.meter.meterId,
    service_point_id: `SP-${r.meter.meterId}`,
    customer_id: `CU-${r.meter.meterId}`,
    transformer_id: r.meter.transformerId,
    feeder_id: r.meter.feederId,
    read_type: 'INTERVAL',
    interval_start: formatIsoUtc(r.startMs),
    interval_end: formatIsoUtc(r.startMs + 900_000),
    consumption_kwh: (r.deliveredWh - r.receivedWh) / 1000,
    delivered_kwh: r.deliveredWh / 1000,
    received_kwh: r.receivedWh / 1000,
    voltage_v: r.voltage,
    power_quality_code: 0,
    estimated_flag: r.estimated,
    read_ts: formatIsoUtc(r.readTsMs),
  });
}

export interface GeneratedMessage {
  readonly key: string | null;
  readonly value: string;
  /** Expected DLQ reason for invalid ones. */
  readonly invalidReason?: string;
}

/**
 * One local day of reads for `meters`: every interval once, plus duplicates, corrections (later
 * read_ts, new value), ties (same read_ts and Wh, different voltage/estimated flag) and invalid
 * messages, shuffled so corrections often arrive before the version they correct.
 */
export function dayOfMessages(
  meters: readonly Meter[],
  date: string,
  seed: number,
  opts: { duplicates: number; corrections: number; ties: number; invalid: number; intervals?: number },
): GeneratedMessage[] {
  const rand = rng(seed);
  const { startMs, endMs } = localDayBounds(date, TZ);
  const base: ReadSpec[] = [];
  const slots = Math.min(opts.intervals ?? Infinity, (endMs - startMs) / 900_000);
  for (const meter of meters) {
    for (let i = 0; i < slots; i++) {
      const s = startMs + i * 900_000;
      base.push({
        meter,
        startMs: s,
        deliveredWh: Math.floor(rand() * 3000),
        receivedWh: rand() < 0.2 ? Math.floor(rand() * 500) : 0,
        voltage: Math.round((215 + rand() * 30) * 10) / 10,
        estimated: rand() < 0.05,
        readTsMs: s + 900_000 + 5_000 + Math.floor(rand() * 290_000),
      });
    }
  }
  const pick = () => base[Math.floor(rand() * base.length)] as ReadSpec;
  const out: GeneratedMessage[] = base.map((r) => ({ key: r.meter.meterId, value: readJson(r) }));
  for (let i = 0; i < opts.duplicates; i++) {
    const r = pick();
    out.push({ key: r.meter.meterId, value: readJson(r) });
  }
  for (let i = 0; i < opts.corrections; i++) {
    const r = pick();
    out.push({
      key: r.meter.meterId,
      value: readJson({
        ...r,
        deliveredWh: Math.floor(rand() * 3000),
        voltage: Math.round((200 + rand() * 60) * 10) / 10,
        estimated: rand() < 0.5,
        readTsMs: r.readTsMs + 1 + Math.floor(rand() * 3 * HOUR),
      }),
    });
  }
  for (let i = 0; i < opts.ties; i++) {
    const r = pick();
    out.push({
      key: r.meter.meterId,
      value: readJson({ ...r, voltage: r.voltage + 1.5, estimated: !r.estimated }),
    });
  }
  const invalid: GeneratedMessage[] = [
    { key: 'MTR-000000', value: '{"meter_id": "MTR-000000", ', invalidReason: 'MALFORMED_JSON' },
    { key: 'MTR-000001', value: '[1,2,3]', invalidReason: 'NOT_AN_OBJECT' },
    { key: 'MTR-000002', value: '{"meter_id":"MTR-000002"}', invalidReason: 'SCHEMA_VIOLATION' },
    {
      key: 'MTR-000003',
      value: readJson({ ...(base[3] as ReadSpec), startMs: (base[3] as ReadSpec).startMs + 60_000 }),
      invalidReason: 'MISALIGNED_INTERVAL',
    },
    {
      key: 'MTR-UNKNOWN',
      value: readJson({
        ...(base[5] as ReadSpec),
        meter: { ...(base[5] as ReadSpec).meter, meterId: 'MTR-UNKNOWN' },
      }),
      invalidReason: 'UNKNOWN_METER',
    },
    {
      key: 'MTR-000004',
      value: readJson({ ...(base[4] as ReadSpec), voltage: 900 }),
      invalidReason: 'OUT_OF_RANGE',
    },
  ];
  for (let i = 0; i < opts.invalid; i++) out.push(invalid[i % invalid.length] as GeneratedMessage);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const a = out[i] as GeneratedMessage;
    out[i] = out[j] as GeneratedMessage;
    out[j] = a;
  }
  return out;
}

export interface ModelWindow {
  energyWh: number;
  meters: number;
  estimated: number;
  voltageSumCv: number;
  vmin: number | null;
  vmax: number | null;
}

export interface Model {
  /** meterId|date → {daily, hourly by UTC hour start, intervals by index} */
  readonly meterDays: Map<
    string,
    {
      daily: number;
      hourly: Map<number, number>;
      intervals: Map<number, { wh: number; est: boolean; cv: number }>;
    }
  >;
  /** level|id|date|window index → window */
  readonly grid: Map<string, ModelWindow>;
}

/**
 * The realtime view expected after applying `values` in this order (per meter the order matters
 * only for voltage min/max, which cover every version that was the latest when it arrived).
 */
export function model(values: readonly string[], meters: readonly Meter[], nowMs: number): Model {
  const byMeter = new Map(meters.map((m) => [m.meterId, m]));
  const current = new Map<string, ValidIntervalRead>();
  const minMax = new Map<string, { vmin: number; vmax: number }>();
  for (const v of values) {
    const res = validateRead(v, { nowMs, timeZone: TZ });
    if (!res.ok || res.read.read_type !== 'INTERVAL' || !byMeter.has(res.read.meter_id)) continue;
    const r = res.read;
    const id = `${r.meter_id}|${r.intervalStartMs}`;
    const cur = current.get(id);
    if (cur === undefined || compareReadVersions(r, cur) > 0) {
      current.set(id, r);
      const m = byMeter.get(r.meter_id) as Meter;
      const date = localDate(r.intervalStartMs, TZ);
      const idx = intervalIndexInLocalDay(r.intervalStartMs, TZ);
      const cv = Math.round(r.voltage_v * 100);
      for (const [level, gid] of [
        ['transformer', m.transformerId],
        ['feeder', m.feederId],
        ['substation', m.substationId],
        ['region', m.region],
      ] as const) {
        const k = `${level}|${gid}|${date}|${idx}`;
        const mm = minMax.get(k);
        minMax.set(
          k,
          mm ? { vmin: Math.min(mm.vmin, cv), vmax: Math.max(mm.vmax, cv) } : { vmin: cv, vmax: cv },
        );
      }
    }
  }
  const meterDays: Model['meterDays'] = new Map();
  const grid = new Map<string, ModelWindow>();
  for (const r of current.values()) {
    const m = byMeter.get(r.meter_id) as Meter;
    const date = localDate(r.intervalStartMs, TZ);
    const idx = intervalIndexInLocalDay(r.intervalStartMs, TZ);
    const cv = Math.round(r.voltage_v * 100);
    const mk = `${r.meter_id}|${date}`;
    let md = meterDays.get(mk);
    if (md === undefined) meterDays.set(mk, (md = { daily: 0, hourly: new Map(), intervals: new Map() }));
    md.daily += r.consumptionWh;
    const hour = Math.floor(r.intervalStartMs / HOUR) * HOUR;
    md.hourly.set(hour, (md.hourly.get(hour) ?? 0) + r.consumptionWh);
    md.intervals.set(idx, { wh: r.consumptionWh, est: r.estimated_flag, cv });
    for (const [level, gid] of [
      ['transformer', m.transformerId],
      ['feeder', m.feederId],
      ['substation', m.substationId],
      ['region', m.region],
    ] as const) {
      const k = `${level}|${gid}|${date}|${idx}`;
      const w = grid.get(k) ?? {
        energyWh: 0,
        meters: 0,
        estimated: 0,
        voltageSumCv: 0,
        vmin: null,
        vmax: null,
      };
      w.energyWh += r.consumptionWh;
      w.meters += 1;
      w.estimated += r.estimated_flag ? 1 : 0;
      w.voltageSumCv += cv;
      const mm = minMax.get(k);
      w.vmin = mm?.vmin ?? null;
      w.vmax = mm?.vmax ?? null;
      grid.set(k, w);
    }
  }
  return { meterDays, grid };
}

export { localDayBounds };
