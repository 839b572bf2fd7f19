/**
 * Byte layout of the realtime-view values (plan-writes.ts encodes them, write.lua stores the changed
 * bytes, the decoders here read them).
 * Fixed-width big-endian binary records in plain Redis strings: no per-field overhead, O(1)
 * GETRANGE/SETRANGE updates, and no dependency on hash-listpack server settings.
 *
 * Meter-day string ({rv:p}:m:<meter>:<date>), one per meter and local day (format 2):
 *   [0]          format, 2
 *   [1]          n = number of intervals of the local day (92, 96 or 100 on DST days)
 *   [2]          phase = minutes of the day start past its UTC hour / 15 (0 in whole-hour zones)
 *   [3, 3+15n)   n interval slots of 15 bytes, slot i = intervalIndexInLocalDay
 *   [3+15n, …)   attribution table: entries [uint8 length][text 't|f|s|r'], appended as needed
 * Interval slot (15 bytes):
 *   uint8  flags: bit0 present, bit1 estimated_flag, bits 2–7 attribution entry number (1–63)
 *   uint32 read_ts − interval_start, ms (exact; ≤ 49.7 days — older reads are beyond retention)
 *   int32  consumption, Wh
 *   uint16 voltage_v in centivolts (round(v × 100); 0 … 655.35 V)
 *   uint32 first 32 bits of the shared version digest (versionDigest)
 * The meter's hourly and daily sums are not stored: the decoder adds up the slots of the same
 * string, so they can never disagree with the intervals and cost neither memory nor writes.
 * Hourly slot h of a day = UTC hour floor(start/1h) − floor(dayStart/1h) (hourSlot); 26 slots
 * cover a 25-hour DST day in a half-hour-offset zone (an hour that straddles local midnight is
 * split across the two days there and readers add both).
 * The version order of a slot is (read_ts, Wh, digest prefix): readVersionKey's order, except that
 * two *different* versions with equal read_ts, equal Wh and equal 32-bit digest prefix count as the
 * same (the stored one stays) — odds 2^-32 per such pair, which itself needs a head-end sending two
 * different contents under one read_ts.
 *
 * Grid-day string ({rv:p}:g:<level>:<id>:<date>): window i (= interval index in the local day) at
 * i × 21 bytes, created at its full 100 × 21 bytes (growing it window by window with SETRANGE
 * lets Redis over-allocate: measured 3,120 instead of 2,096 bytes per key):
 *   int48  energy, Wh            uint24 meters reported        uint24 estimated count
 *   uint40 voltage sum, cV       uint16 voltage min, cV + 1    uint16 voltage max, cV + 1  (0 = none)
 * Voltage count = meters reported (every INTERVAL read carries a voltage). Min/max are taken over
 * every accepted version (a correction can widen them but never narrows them back).
 */
import type { GridAttribution } from './keys.ts';
import { parseAttributionText } from './keys.ts';

export const METER_DAY_FORMAT = 2;
export const HEADER_BYTES = 3;
export const HOUR_SLOTS = 26;
export const INTERVAL_SLOTS = 100;
export const SLOT_BYTES = 15;
export const MAX_ATTRIBUTIONS = 63;
export const GRID_RECORD_BYTES = 21;

export const MAX_READ_DELAY_MS = 2 ** 32 - 1;
export const MAX_SLOT_WH = 2 ** 31 - 1;
export const MAX_VOLTAGE_CV = 65_534;

const HOUR_MS = 3_600_000;
const INTERVAL_MS = 900_000;

/** Offset of the attribution table of a meter-day with `slots` intervals. */
export function trailerOffset(slots: number): number {
  return HEADER_BYTES + slots * SLOT_BYTES;
}

/** The header byte `phase` of a day starting at `dayStartMs` (quarter hours past the UTC hour). */
export function dayPhase(dayStartMs: number): number {
  return Math.floor((((dayStartMs % HOUR_MS) + HOUR_MS) % HOUR_MS) / INTERVAL_MS);
}

/** Hourly slot of an interval within the meter-day string of its local day. */
export function hourSlot(intervalStartMs: number, dayStartMs: number): number {
  return Math.floor(intervalStartMs / HOUR_MS) - Math.floor(dayStartMs / HOUR_MS);
}

/** UTC start of hourly slot `slot` of a day starting at `dayStartMs`. */
export function hourSlotStartMs(slot: number, dayStartMs: number): number {
  return (Math.floor(dayStartMs / HOUR_MS) + slot) * HOUR_MS;
}

/** voltage_v → stored centivolts. */
export function voltageToCv(voltageV: number): number {
  return Math.round(voltageV * 100);
}

/** The comparable part of a stored version. */
export interface SlotVersion {
  readonly readDelayMs: number;
  readonly wh: number;
  readonly digestPrefix: number;
}

/** Order of two versions of one interval as plan-writes.ts applies it (> 0: `a` wins). */
export function compareSlotVersions(a: SlotVersion, b: SlotVersion): number {
  if (a.readDelayMs !== b.readDelayMs) return a.readDelayMs < b.readDelayMs ? -1 : 1;
  if (a.wh !== b.wh) return a.wh < b.wh ? -1 : 1;
  if (a.digestPrefix !== b.digestPrefix) return a.digestPrefix < b.digestPrefix ? -1 : 1;
  return 0;
}

export interface StoredInterval extends SlotVersion {
  /** Interval index in the local day. */
  readonly index: number;
  readonly estimated: boolean;
  readonly voltageCv: number;
  readonly attribution: GridAttribution;
}

export interface MeterDay {
  /** Sum of the stored intervals, Wh. */
  readonly dailyWh: number;
  /** HOUR_SLOTS sums of the stored intervals (see hourSlot / hourSlotStartMs). */
  readonly hourlyWh: readonly number[];
  /** INTERVAL_SLOTS entries; undefined = no read yet. */
  readonly intervals: readonly (StoredInterval | undefined)[];
}

function attributionTable(buf: Buffer, from: number): string[] {
  const out: string[] = [];
  let at = from;
  while (at < buf.length) {
    const len = buf.readUInt8(at);
    out.push(buf.toString('utf8', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return out;
}

/** Decodes a meter-day string; `null` (missing key) decodes as an empty day. */
export function decodeMeterDay(buf: Buffer | null): MeterDay {
  const intervals: (StoredInterval | undefined)[] = new Array<StoredInterval | undefined>(
    INTERVAL_SLOTS,
  ).fill(undefined);
  const hourlyWh = new Array<number>(HOUR_SLOTS).fill(0);
  if (buf === null || buf.length === 0) return { dailyWh: 0, hourlyWh, intervals };
  if (buf.length < HEADER_BYTES) throw new RangeError(`meter-day value too short: ${buf.length} bytes`);
  const format = buf.readUInt8(0);
  if (format !== METER_DAY_FORMAT)
    throw new RangeError(`meter-day format ${format}, expected ${METER_DAY_FORMAT}`);
  const slots = buf.readUInt8(1);
  const phase = buf.readUInt8(2);
  if (slots > INTERVAL_SLOTS || buf.length < trailerOffset(slots)) {
    throw new RangeError(`meter-day value of ${buf.length} bytes cannot hold ${slots} slots`);
  }
  const table = attributionTable(buf, trailerOffset(slots));
  let dailyWh = 0;
  for (let i = 0; i < slots; i++) {
    const o = HEADER_BYTES + i * SLOT_BYTES;
    const flags = buf.readUInt8(o);
    if ((flags & 1) === 0) continue;
    const entry = table[(flags >> 2) - 1];
    if (entry === undefined) throw new RangeError(`meter-day slot ${i} names a missing attribution`);
    const wh = buf.readInt32BE(o + 5);
    intervals[i] = {
      index: i,
      estimated: (flags & 2) !== 0,
      readDelayMs: buf.readUInt32BE(o + 1),
      wh,
      voltageCv: buf.readUInt16BE(o + 9),
      digestPrefix: buf.readUInt32BE(o + 11),
      attribution: parseAttributionText(entry),
    };
    dailyWh += wh;
    const h = Math.floor((phase + i) / 4);
    hourlyWh[h] = (hourlyWh[h] ?? 0) + wh;
  }
  return { dailyWh, hourlyWh, intervals };
}

/**
 * Whether a meter-day string has a read in each interval slot of `indexes` — the same answer as
 * `decodeMeterDay(buf).intervals[i] !== undefined`, without decoding the rest. `buf` may be the
 * string's prefix (a GETRANGE from 0) as long as it reaches past the last slot asked for; a slot
 * beyond the buffer or the day's interval count has no read.
 */
export function meterDayPresence(buf: Buffer | null, indexes: readonly number[]): boolean[] {
  if (buf === null || buf.length === 0) return indexes.map(() => false);
  if (buf.length < HEADER_BYTES) throw new RangeError(`meter-day value too short: ${buf.length} bytes`);
  const format = buf.readUInt8(0);
  if (format !== METER_DAY_FORMAT)
    throw new RangeError(`meter-day format ${format}, expected ${METER_DAY_FORMAT}`);
  const slots = buf.readUInt8(1);
  if (slots > INTERVAL_SLOTS) throw new RangeError(`meter-day value cannot hold ${slots} slots`);
  return indexes.map((i) => {
    const o = HEADER_BYTES + i * SLOT_BYTES;
    return i >= 0 && i < slots && buf.length >= o + SLOT_BYTES && (buf.readUInt8(o) & 1) === 1;
  });
}

/** One 15-minute window of a grid entity (of one partition, or summed over partitions). */
export interface GridWindow {
  readonly energyWh: number;
  readonly metersReported: number;
  readonly estimatedCount: number;
  readonly voltageSumCv: number;
  /** Equal to metersReported: every INTERVAL read carries a voltage. */
  readonly voltageCount: number;
  readonly voltageMinCv: number | null;
  readonly voltageMaxCv: number | null;
}

export const EMPTY_GRID_WINDOW: GridWindow = {
  energyWh: 0,
  metersReported: 0,
  estimatedCount: 0,
  voltageSumCv: 0,
  voltageCount: 0,
  voltageMinCv: null,
  voltageMaxCv: null,
};

/** Decodes the grid record at byte `o` of `buf` (the caller checks it is complete). */
function decodeGridRecord(buf: Buffer, o: number): GridWindow {
  const metersReported = buf.readUIntBE(o + 6, 3);
  const vmin = buf.readUInt16BE(o + 17);
  const vmax = buf.readUInt16BE(o + 19);
  return {
    energyWh: buf.readIntBE(o, 6),
    metersReported,
    estimatedCount: buf.readUIntBE(o + 9, 3),
    voltageSumCv: buf.readUIntBE(o + 12, 5),
    voltageCount: metersReported,
    voltageMinCv: vmin === 0 ? null : vmin - 1,
    voltageMaxCv: vmax === 0 ? null : vmax - 1,
  };
}

/**
 * Decodes `count` consecutive grid records from the start of `buf` — a whole grid-day string, or a
 * GETRANGE of one from a window's offset (window i at i × GRID_RECORD_BYTES). A record the buffer
 * does not hold completely (missing key, string not grown that far) is EMPTY_GRID_WINDOW.
 */
export function decodeGridWindows(buf: Buffer | null, count: number): GridWindow[] {
  const out: GridWindow[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * GRID_RECORD_BYTES;
    out.push(
      buf === null || buf.length < o + GRID_RECORD_BYTES ? EMPTY_GRID_WINDOW : decodeGridRecord(buf, o),
    );
  }
  return out;
}

/** Decodes a grid-day string into INTERVAL_SLOTS windows (missing ones are EMPTY_GRID_WINDOW). */
export function decodeGridDay(buf: Buffer | null): GridWindow[] {
  return decodeGridWindows(buf, INTERVAL_SLOTS);
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** Sum of the per-partition partial windows of one entity (what a reader reports). */
export function mergeGridWindows(a: GridWindow, b: GridWindow): GridWindow {
  return {
    energyWh: a.energyWh + b.energyWh,
    metersReported: a.metersReported + b.metersReported,
    estimatedCount: a.estimatedCount + b.estimatedCount,
    voltageSumCv: a.voltageSumCv + b.voltageSumCv,
    voltageCount: a.voltageCount + b.voltageCount,
    voltageMinCv: minOf(a.voltageMinCv, b.voltageMinCv),
    voltageMaxCv: maxOf(a.voltageMaxCv, b.voltageMaxCv),
  };
}
