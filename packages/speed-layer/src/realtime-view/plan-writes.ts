/**
 * Decides, in process, what one chunk of reads changes in the realtime view (pure apart from the
 * commit step: values in, byte ranges to write out — partition-writer.ts does the I/O, write.lua
 * the atomic write).
 *
 * Latest-wins per interval slot with the layout's version order (compareSlotVersions: read_ts,
 * then Wh, then the digest prefix — the shared identity rule's order), the grid windows' partial
 * sums moved by the difference between the old and the new version of each slot, summed per
 * (grid key, window) over the chunk so a transformer window touched by 500 reads is written once.
 *
 * The held values are not modified while planning: changed slots and windows are staged beside
 * them, and `commit()` (called once Redis confirmed the write) copies them into the held values in
 * place — no copy of a whole day per chunk.
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
  voltageMinCv: number;
  voltageMaxCv: number;
}

export type GridDeltaMap = Map<string, { date: string; windows: Map<number, WindowDelta> }>;

export interface PlannedWrites {
  readonly writes: ValueWrite[];
  /** Puts the staged changes into the held values (in place) and returns the new values by key. */
  commit(): Map<string, Buffer>;
}

export interface MeterDayPlan extends PlannedWrites {
  /** Per read of the chunk (same order), what it did: EFFECT_INSERTED / _REPLACED / _UNCHANGED. */
  readonly effects: Uint8Array;
  /** Grid deltas per grid-day key and window, with the key's local date. */
  readonly grid: GridDeltaMap;
}

/** Grid-day keys of an attribution on a date, kept by the writer across chunks. */
export type GridKeyCache = Map<string, readonly string[]>;

/** A meter-day being changed by the chunk. */
interface StagedDay {
  readonly date: string;
  /** The held value (left as it is until commit), or the new value of a created day. */
  readonly base: Buffer;
  readonly created: boolean;
  /** New bytes per slot (existing days only; a created day is written into `base`). */
  readonly slots: Map<number, Buffer>;
  table: string[] | undefined;
  /** Attribution entries appended by the chunk ([uint8 length][text] each). */
  readonly appended: Buffer[];
  from: number;
  to: number;
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

function stage(key: string, read: ApplyRead, current: Buffer): StagedDay {
  const common = { date: read.date, slots: new Map<number, Buffer>(), appended: [], from: Infinity, to: 0 };
  if (current.length === 0) {
    return { ...common, base: emptyMeterDay(read.daySlots, read.dayPhase), created: true, table: [] };
  }
  if (current.readUInt8(0) !== METER_DAY_FORMAT || current.length < trailerOffset(current.readUInt8(1))) {
    throw new RangeError(`meter-day ${key} holds no format-${METER_DAY_FORMAT} value`);
  }
  return { ...common, base: current, created: false, table: undefined };
}

/** Length of the day's value once the appended entries are added. */
function stagedLength(day: StagedDay): number {
  return day.base.length + day.appended.reduce((s, e) => s + e.length, 0);
}

/** The attribution number of `text` in the day's table, appending it when new. */
function attributionNumber(day: StagedDay, key: string, text: string): number {
  day.table ??= attributionTable(day.base);
  const found = day.table.indexOf(text);
  if (found >= 0) return found + 1;
  if (day.table.length >= MAX_ATTRIBUTIONS) {
    throw new RangeError(`meter-day ${key} would exceed ${MAX_ATTRIBUTIONS} grid attributions`);
  }
  const entry = Buffer.alloc(1 + Buffer.byteLength(text, 'utf8'));
  entry.writeUInt8(entry.length - 1, 0);
  entry.write(text, 1, 'utf8');
  const at = stagedLength(day);
  day.appended.push(entry);
  day.from = Math.min(day.from, at);
  day.to = at + entry.length;
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

/** Most attribution/date pairs a GridKeyCache keeps before it starts over. */
const GRID_KEY_CACHE_MAX = 200_000;

class GridDeltas {
  readonly byKey: GridDeltaMap = new Map();

  constructor(
    private readonly keyPrefix: string,
    private readonly partition: number,
    private readonly keys: GridKeyCache,
  ) {}

  private keysOf(text: string, date: string): readonly string[] {
    const id = text + '@' + date;
    let keys = this.keys.get(id);
    if (keys === undefined) {
      if (this.keys.size >= GRID_KEY_CACHE_MAX) this.keys.clear();
      keys = gridKeysOf(text, date, this.keyPrefix, this.partition);
      this.keys.set(id, keys);
    }
    return keys;
  }

  /** Adds one slot's change to the windows of its attribution (voltageCv -1 = no voltage seen). */
  add(
    text: string,
    date: string,
    window: number,
    energyWh: number,
    meters: number,
    estimated: number,
    voltageSumCv: number,
    voltageCv: number,
  ): void {
    for (const key of this.keysOf(text, date)) {
      let entry = this.byKey.get(key);
      if (entry === undefined) {
        entry = { date, windows: new Map() };
        this.byKey.set(key, entry);
      }
      let w = entry.windows.get(window);
      if (w === undefined) {
        w = { energyWh: 0, meters: 0, estimated: 0, voltageSumCv: 0, voltageMinCv: -1, voltageMaxCv: -1 };
        entry.windows.set(window, w);
      }
      w.energyWh += energyWh;
      w.meters += meters;
      w.estimated += estimated;
      w.voltageSumCv += voltageSumCv;
      if (voltageCv >= 0) {
        if (w.voltageMinCv < 0 || voltageCv < w.voltageMinCv) w.voltageMinCv = voltageCv;
        if (voltageCv > w.voltageMaxCv) w.voltageMaxCv = voltageCv;
      }
    }
  }
}

/** The bytes of a staged meter-day in [from, to): held bytes, staged slots over them, appended entries. */
function stagedRange(day: StagedDay, from: number, to: number): Buffer {
  if (day.created && day.appended.length === 0) return day.base.subarray(from, to);
  const out = Buffer.alloc(to - from);
  if (from < day.base.length) day.base.copy(out, 0, from, Math.min(to, day.base.length));
  for (const [slot, bytes] of day.slots) {
    const o = HEADER_BYTES + slot * SLOT_BYTES;
    if (o >= from && o + SLOT_BYTES <= to) bytes.copy(out, o - from);
  }
  let at = day.base.length;
  for (const e of day.appended) {
    if (at >= from && at + e.length <= to) e.copy(out, at - from);
    at += e.length;
  }
  return out;
}

/** The day's new value: staged slots copied into the held value in place, entries appended. */
function commitDay(day: StagedDay): Buffer {
  for (const [slot, bytes] of day.slots) bytes.copy(day.base, HEADER_BYTES + slot * SLOT_BYTES);
  return day.appended.length === 0 ? day.base : Buffer.concat([day.base, ...day.appended]);
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
  gridKeys: GridKeyCache = new Map(),
): MeterDayPlan {
  const effects = new Uint8Array(reads.length);
  const staged = new Map<string, StagedDay>();
  const grid = new GridDeltas(keyPrefix, partition, gridKeys);
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    const key = r.meterDayKey;
    let day = staged.get(key);
    if (day === undefined) {
      day = stage(key, r, current(key));
      staged.set(key, day);
    }
    const slotOffset = HEADER_BYTES + r.slot * SLOT_BYTES;
    const held = day.slots.get(r.slot);
    const v = held ?? day.base;
    const o = held === undefined ? slotOffset : 0;
    const flags = v.readUInt8(o);
    const present = (flags & 1) === 1;
    const oDelay = v.readUInt32BE(o + 1);
    const oWh = v.readInt32BE(o + 5);
    const oCv = v.readUInt16BE(o + 9);
    const oDigest = v.readUInt32BE(o + 11);
    const wins =
      !present ||
      r.readDelayMs > oDelay ||
      (r.readDelayMs === oDelay && (r.wh > oWh || (r.wh === oWh && r.digestPrefix > oDigest)));
    if (!wins) {
      effects[i] = EFFECT_UNCHANGED;
      continue;
    }
    const number = attributionNumber(day, key, r.attribution);
    let w: Buffer;
    let at: number;
    if (day.created) {
      w = day.base;
      at = slotOffset;
    } else {
      w = held ?? Buffer.allocUnsafe(SLOT_BYTES);
      at = 0;
      day.slots.set(r.slot, w);
    }
    w.writeUInt8(1 + r.estimated * 2 + number * 4, at);
    w.writeUInt32BE(r.readDelayMs, at + 1);
    w.writeInt32BE(r.wh, at + 5);
    w.writeUInt16BE(r.voltageCv, at + 9);
    w.writeUInt32BE(r.digestPrefix, at + 11);
    day.from = Math.min(day.from, slotOffset);
    day.to = Math.max(day.to, slotOffset + SLOT_BYTES);
    if (!present) {
      effects[i] = EFFECT_INSERTED;
      grid.add(r.attribution, r.date, r.slot, r.wh, 1, r.estimated, r.voltageCv, r.voltageCv);
      continue;
    }
    effects[i] = EFFECT_REPLACED;
    const oEst = (flags >> 1) & 1;
    const oText = (day.table ??= attributionTable(day.base))[(flags >> 2) - 1];
    if (oText === undefined)
      throw new RangeError(`meter-day ${key} slot ${r.slot} names a missing attribution`);
    if (oText === r.attribution) {
      grid.add(
        r.attribution,
        r.date,
        r.slot,
        r.wh - oWh,
        0,
        r.estimated - oEst,
        r.voltageCv - oCv,
        r.voltageCv,
      );
    } else {
      grid.add(oText, r.date, r.slot, -oWh, -1, -oEst, -oCv, -1);
      grid.add(r.attribution, r.date, r.slot, r.wh, 1, r.estimated, r.voltageCv, r.voltageCv);
    }
  }
  const writes: ValueWrite[] = [];
  for (const [key, day] of staged) {
    if (day.to <= day.from) continue;
    const from = day.created ? 0 : day.from;
    const to = day.created ? stagedLength(day) : day.to;
    writes.push({
      key,
      date: day.date,
      offset: from,
      bytes: stagedRange(day, from, to),
      created: day.created,
    });
  }
  const commit = () => {
    const values = new Map<string, Buffer>();
    for (const [key, day] of staged) if (day.to > day.from) values.set(key, commitDay(day));
    return values;
  };
  return { effects, writes, commit, grid: grid.byKey };
}

const GRID_DAY_BYTES = INTERVAL_SLOTS * GRID_RECORD_BYTES;

/** The record of `window` in `base` (absent = zeros) plus the chunk's delta `d`. */
function addToRecord(base: Buffer, window: number, d: WindowDelta, out: Buffer, at: number): void {
  const o = window * GRID_RECORD_BYTES;
  const has = base.length >= o + GRID_RECORD_BYTES;
  let vmin = has ? base.readUInt16BE(o + 17) : 0;
  let vmax = has ? base.readUInt16BE(o + 19) : 0;
  if (d.voltageMinCv >= 0 && (vmin === 0 || d.voltageMinCv + 1 < vmin)) vmin = d.voltageMinCv + 1;
  if (d.voltageMaxCv >= 0 && d.voltageMaxCv + 1 > vmax) vmax = d.voltageMaxCv + 1;
  out.writeIntBE((has ? base.readIntBE(o, 6) : 0) + d.energyWh, at, 6);
  out.writeUIntBE((has ? base.readUIntBE(o + 6, 3) : 0) + d.meters, at + 6, 3);
  out.writeUIntBE((has ? base.readUIntBE(o + 9, 3) : 0) + d.estimated, at + 9, 3);
  out.writeUIntBE((has ? base.readUIntBE(o + 12, 5) : 0) + d.voltageSumCv, at + 12, 5);
  out.writeUInt16BE(vmin, at + 17);
  out.writeUInt16BE(vmax, at + 19);
}

/**
 * Adds the chunk's grid deltas to the grid-day values `current(key)` returns: one write per key (the
 * range of windows that changed; a new key is written whole, at its full length, so Redis does not
 * over-allocate a string grown window by window).
 */
export function planGridWrites(grid: GridDeltaMap, current: (key: string) => Buffer): PlannedWrites {
  const writes: ValueWrite[] = [];
  const commits: [string, () => Buffer][] = [];
  for (const [key, { date, windows }] of grid) {
    const base = current(key);
    if (base.length === 0) {
      const value = Buffer.alloc(GRID_DAY_BYTES);
      for (const [window, d] of windows) addToRecord(value, window, d, value, window * GRID_RECORD_BYTES);
      writes.push({ key, date, offset: 0, bytes: value, created: true });
      commits.push([key, () => value]);
      continue;
    }
    let first = INTERVAL_SLOTS;
    let last = -1;
    for (const window of windows.keys()) {
      first = Math.min(first, window);
      last = Math.max(last, window);
    }
    const from = first * GRID_RECORD_BYTES;
    const bytes = Buffer.alloc((last + 1) * GRID_RECORD_BYTES - from);
    base.copy(bytes, 0, from, Math.min(base.length, from + bytes.length));
    for (const [window, d] of windows) addToRecord(base, window, d, bytes, window * GRID_RECORD_BYTES - from);
    writes.push({ key, date, offset: from, bytes, created: false });
    commits.push([
      key,
      () => {
        if (base.length >= from + bytes.length) {
          bytes.copy(base, from);
          return base;
        }
        const grown = Buffer.alloc(Math.max(GRID_DAY_BYTES, from + bytes.length));
        base.copy(grown);
        bytes.copy(grown, from);
        return grown;
      },
    ]);
  }
  return { writes, commit: () => new Map(commits.map(([k, f]) => [k, f()])) };
}
