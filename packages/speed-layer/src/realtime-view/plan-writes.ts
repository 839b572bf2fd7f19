/**
 * Decides, in process, what one chunk of reads changes in the realtime view (pure: values in,
 * new values and byte ranges out — partition-writer.ts does the I/O, write.lua the atomic write).
 *
 * Latest-wins per interval slot with the layout's version order (compareSlotVersions: read_ts,
 * then Wh, then the digest prefix — the shared identity rule's order), the grid windows' partial
 * sums moved by the difference between the old and the new version of each slot, summed per
 * (grid key, window) over the chunk so a transformer window touched by 500 reads is written once.
 *
 * Two steps because grid keys are only known once the meter-days are read (a replaced version may
 * carry another attribution than the new one): planMeterDays, then planGridWrites.
 */
import type { ApplyRead } from './apply-args.ts';
import { GRID_LEVELS, gridDayKey, parseAttributionText } from './keys.ts';
import {
  GRID_RECORD_BYTES,
  HEADER_BYTES,
  INTERVAL_SLOTS,
  MAX_ATTRIBUTIONS,
  METER_DAY_FORMAT,
  SLOT_BYTES,
  trailerOffset,
} from './layout.ts';

/** A value of the view as the writer holds it; a zero-length Buffer = no such key in Redis. */
export const ABSENT: Buffer = Buffer.alloc(0);

/** What one read did to its slot. */
export const EFFECT_INSERTED = 0;
export const EFFECT_REPLACED = 1;
export const EFFECT_UNCHANGED = 2;

/** One write of a value: `bytes` at byte `offset` of `key` (offset 0 + whole value for a new key). */
export interface ValueWrite {
  readonly key: string;
  readonly date: string;
  readonly offset: number;
  readonly bytes: Buffer;
  /** The key did not exist: its date is registered in the partition's day registry. */
  readonly created: boolean;
}

/** The sum of the changes of one grid window over a chunk. */
interface WindowDelta {
  energyWh: number;
  meters: number;
  estimated: number;
  voltageSumCv: number;
  voltageMinCv: number | undefined;
  voltageMaxCv: number | undefined;
}

export interface MeterDayPlan {
  /** Per read of the chunk (same order), what it did: EFFECT_INSERTED / _REPLACED / _UNCHANGED. */
  readonly effects: Uint8Array;
  /** New values of the touched meter-days (the old ones are not modified). */
  readonly values: Map<string, Buffer>;
  readonly writes: ValueWrite[];
  /** Grid deltas per grid-day key and window, with the key's local date. */
  readonly grid: Map<string, { date: string; windows: Map<number, WindowDelta> }>;
}

/** A meter-day being changed by the chunk: its new value and the range of bytes that changed. */
interface StagedDay {
  value: Buffer;
  readonly date: string;
  readonly created: boolean;
  from: number;
  to: number;
  table: string[] | undefined;
}

function emptyMeterDay(slots: number, phase: number): Buffer {
  const b = Buffer.alloc(trailerOffset(slots));
  b.writeUInt8(METER_DAY_FORMAT, 0);
  b.writeUInt8(slots, 1);
  b.writeUInt8(phase, 2);
  return b;
}

/** The attribution table of a meter-day value (entries [uint8 length][text]). */
function attributionTable(value: Buffer): string[] {
  const out: string[] = [];
  const slots = value.readUInt8(1);
  let at = trailerOffset(slots);
  while (at < value.length) {
    const len = value.readUInt8(at);
    out.push(value.toString('utf8', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return out;
}

function stage(day: StagedDay | undefined, key: string, read: ApplyRead, current: Buffer): StagedDay {
  if (day !== undefined) return day;
  if (current.length === 0) {
    const value = emptyMeterDay(read.daySlots, read.dayPhase);
    return { value, date: read.date, created: true, from: 0, to: value.length, table: [] };
  }
  if (current.readUInt8(0) !== METER_DAY_FORMAT || current.length < trailerOffset(current.readUInt8(1))) {
    throw new RangeError(`meter-day ${key} holds no format-${METER_DAY_FORMAT} value`);
  }
  return {
    value: Buffer.from(current),
    date: read.date,
    created: false,
    from: Infinity,
    to: 0,
    table: undefined,
  };
}

/** The attribution number of `text` in the day's table, appending it when new. */
function attributionNumber(day: StagedDay, key: string, text: string): number {
  day.table ??= attributionTable(day.value);
  const found = day.table.indexOf(text);
  if (found >= 0) return found + 1;
  if (day.table.length >= MAX_ATTRIBUTIONS) {
    throw new RangeError(`meter-day ${key} would exceed ${MAX_ATTRIBUTIONS} grid attributions`);
  }
  const entry = Buffer.from(text, 'utf8');
  const grown = Buffer.alloc(day.value.length + 1 + entry.length);
  day.value.copy(grown);
  grown.writeUInt8(entry.length, day.value.length);
  entry.copy(grown, day.value.length + 1);
  day.from = Math.min(day.from, day.value.length);
  day.to = grown.length;
  day.value = grown;
  day.table.push(text);
  return day.table.length;
}

/** The 4 grid-day keys (transformer, feeder, substation, region) of an attribution on a date. */
function gridKeysOf(text: string, date: string, keyPrefix: string, partition: number): string[] {
  const a = parseAttributionText(text);
  const ids = [a.transformerId, a.feederId, a.substationId, a.region];
  const out: string[] = [];
  GRID_LEVELS.forEach((level, i) => {
    const id = ids[i] ?? '';
    if (id !== '') out.push(gridDayKey(keyPrefix, partition, level, id, date));
  });
  return out;
}

class GridDeltas {
  readonly byKey: MeterDayPlan['grid'] = new Map();
  private readonly keysCache = new Map<string, string[]>();

  constructor(
    private readonly keyPrefix: string,
    private readonly partition: number,
  ) {}

  add(
    text: string,
    date: string,
    window: number,
    d: Omit<WindowDelta, 'voltageMinCv' | 'voltageMaxCv'>,
    voltageCv: number | undefined,
  ): void {
    const id = `${text}@${date}`;
    let keys = this.keysCache.get(id);
    if (keys === undefined) {
      keys = gridKeysOf(text, date, this.keyPrefix, this.partition);
      this.keysCache.set(id, keys);
    }
    for (const key of keys) {
      let entry = this.byKey.get(key);
      if (entry === undefined) {
        entry = { date, windows: new Map() };
        this.byKey.set(key, entry);
      }
      let w = entry.windows.get(window);
      if (w === undefined) {
        w = {
          energyWh: 0,
          meters: 0,
          estimated: 0,
          voltageSumCv: 0,
          voltageMinCv: undefined,
          voltageMaxCv: undefined,
        };
        entry.windows.set(window, w);
      }
      w.energyWh += d.energyWh;
      w.meters += d.meters;
      w.estimated += d.estimated;
      w.voltageSumCv += d.voltageSumCv;
      if (voltageCv !== undefined) {
        if (w.voltageMinCv === undefined || voltageCv < w.voltageMinCv) w.voltageMinCv = voltageCv;
        if (w.voltageMaxCv === undefined || voltageCv > w.voltageMaxCv) w.voltageMaxCv = voltageCv;
      }
    }
  }
}

/**
 * Applies `reads` (in offset order; all after the fence and inside retention) to the meter-days
 * `current(key)` returns, and sums their grid deltas. Throws a RangeError for a meter-day that would
 * need more than 63 attributions (nothing is written then).
 */
export function planMeterDays(
  reads: readonly ApplyRead[],
  current: (key: string) => Buffer,
  keyPrefix: string,
  partition: number,
): MeterDayPlan {
  const effects = new Uint8Array(reads.length);
  const staged = new Map<string, StagedDay>();
  const grid = new GridDeltas(keyPrefix, partition);
  reads.forEach((r, i) => {
    const key = r.meterDayKey;
    const day = stage(staged.get(key), key, r, current(key));
    staged.set(key, day);
    const o = HEADER_BYTES + r.slot * SLOT_BYTES;
    const v = day.value;
    const flags = v.readUInt8(o);
    const present = (flags & 1) === 1;
    const oDelay = v.readUInt32BE(o + 1);
    const oWh = v.readInt32BE(o + 5);
    const oDigest = v.readUInt32BE(o + 11);
    const oCv = v.readUInt16BE(o + 9);
    const oEst = (flags >> 1) & 1;
    const wins =
      !present ||
      r.readDelayMs > oDelay ||
      (r.readDelayMs === oDelay && (r.wh > oWh || (r.wh === oWh && r.digestPrefix > oDigest)));
    if (!wins) {
      effects[i] = EFFECT_UNCHANGED;
      return;
    }
    const number = attributionNumber(day, key, r.attribution);
    const w = day.value;
    w.writeUInt8(1 + r.estimated * 2 + number * 4, o);
    w.writeUInt32BE(r.readDelayMs, o + 1);
    w.writeInt32BE(r.wh, o + 5);
    w.writeUInt16BE(r.voltageCv, o + 9);
    w.writeUInt32BE(r.digestPrefix, o + 11);
    day.from = Math.min(day.from, o);
    day.to = Math.max(day.to, o + SLOT_BYTES);
    if (!present) {
      effects[i] = EFFECT_INSERTED;
      grid.add(
        r.attribution,
        r.date,
        r.slot,
        { energyWh: r.wh, meters: 1, estimated: r.estimated, voltageSumCv: r.voltageCv },
        r.voltageCv,
      );
      return;
    }
    effects[i] = EFFECT_REPLACED;
    const oText = (day.table ??= attributionTable(w))[(flags >> 2) - 1];
    if (oText === undefined)
      throw new RangeError(`meter-day ${key} slot ${r.slot} names a missing attribution`);
    if (oText === r.attribution) {
      grid.add(
        r.attribution,
        r.date,
        r.slot,
        { energyWh: r.wh - oWh, meters: 0, estimated: r.estimated - oEst, voltageSumCv: r.voltageCv - oCv },
        r.voltageCv,
      );
    } else {
      grid.add(
        oText,
        r.date,
        r.slot,
        { energyWh: -oWh, meters: -1, estimated: -oEst, voltageSumCv: -oCv },
        undefined,
      );
      grid.add(
        r.attribution,
        r.date,
        r.slot,
        { energyWh: r.wh, meters: 1, estimated: r.estimated, voltageSumCv: r.voltageCv },
        r.voltageCv,
      );
    }
  });
  const values = new Map<string, Buffer>();
  const writes: ValueWrite[] = [];
  for (const [key, day] of staged) {
    values.set(key, day.value);
    if (day.to <= day.from) continue;
    const from = day.created ? 0 : day.from;
    writes.push({
      key,
      date: day.date,
      offset: from,
      bytes: day.value.subarray(from, day.to),
      created: day.created,
    });
  }
  return { effects, values, writes, grid: grid.byKey };
}

const GRID_DAY_BYTES = INTERVAL_SLOTS * GRID_RECORD_BYTES;

/**
 * Adds the chunk's grid deltas to the grid-day values `current(key)` returns: the new values and one
 * write per key (the range of windows that changed; a new key is written whole, at its full length,
 * so Redis does not over-allocate a string grown window by window).
 */
export function planGridWrites(
  grid: MeterDayPlan['grid'],
  current: (key: string) => Buffer,
): { values: Map<string, Buffer>; writes: ValueWrite[] } {
  const values = new Map<string, Buffer>();
  const writes: ValueWrite[] = [];
  for (const [key, { date, windows }] of grid) {
    const old = current(key);
    const created = old.length === 0;
    const value = Buffer.alloc(Math.max(GRID_DAY_BYTES, old.length));
    old.copy(value);
    let from = Infinity;
    let to = 0;
    for (const [window, d] of windows) {
      const o = window * GRID_RECORD_BYTES;
      let vmin = value.readUInt16BE(o + 17);
      let vmax = value.readUInt16BE(o + 19);
      if (d.voltageMinCv !== undefined && (vmin === 0 || d.voltageMinCv + 1 < vmin))
        vmin = d.voltageMinCv + 1;
      if (d.voltageMaxCv !== undefined && d.voltageMaxCv + 1 > vmax) vmax = d.voltageMaxCv + 1;
      value.writeIntBE(value.readIntBE(o, 6) + d.energyWh, o, 6);
      value.writeUIntBE(value.readUIntBE(o + 6, 3) + d.meters, o + 6, 3);
      value.writeUIntBE(value.readUIntBE(o + 9, 3) + d.estimated, o + 9, 3);
      value.writeUIntBE(value.readUIntBE(o + 12, 5) + d.voltageSumCv, o + 12, 5);
      value.writeUInt16BE(vmin, o + 17);
      value.writeUInt16BE(vmax, o + 19);
      from = Math.min(from, o);
      to = Math.max(to, o + GRID_RECORD_BYTES);
    }
    values.set(key, value);
    if (created) writes.push({ key, date, offset: 0, bytes: value, created });
    else if (to > from) writes.push({ key, date, offset: from, bytes: value.subarray(from, to), created });
  }
  return { values, writes };
}
