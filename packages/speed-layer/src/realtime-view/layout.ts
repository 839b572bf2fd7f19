/**
 * Byte layout of the realtime-view values (apply.lua writes them, the decoders here read them).
 * Fixed-width big-endian binary records in plain Redis strings: no per-field overhead, O(1)
 * GETRANGE/SETRANGE updates, and no dependency on hash-listpack server settings.
 *
 * Meter-day string ({rv:p}:m:<meter>:<date>), one per meter and local day:
 *   [0,6)        daily sum of consumption, Wh, int48
 *   [6,110)      26 hourly sums, Wh, int32 each; slot h = UTC hour floor(start/1h) − floor(dayStart/1h)
 *                (26 slots cover a 25-hour DST day in a half-hour-offset zone; in such zones an hour
 *                that straddles local midnight is split across the two days and readers add both)
 *   [110,1710)   100 interval slots of 16 bytes, slot i = intervalIndexInLocalDay (≤ 100 per day)
 *   [1710,…)     attribution table: entries [uint8 length][text 't|f|s|r'], appended as needed
 * Interval slot (16 bytes):
 *   uint8  flags: bit0 present, bit1 estimated_flag, bits 2–7 attribution entry number (1–63)
 *   uint40 read_ts − interval_start, ms (exact read_ts; 2^40 ms ≈ 34 years)
 *   int32  consumption, Wh
 *   uint16 voltage_v in centivolts (round(v × 100); 0 … 655.35 V)
 *   uint32 first 32 bits of the shared version digest (versionDigest)
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

export const DAILY_OFFSET = 0;
export const HOURLY_OFFSET = 6;
export const HOUR_SLOTS = 26;
export const SLOTS_OFFSET = HOURLY_OFFSET + HOUR_SLOTS * 4;
export const INTERVAL_SLOTS = 100;
export const SLOT_BYTES = 16;
export const TRAILER_OFFSET = SLOTS_OFFSET + INTERVAL_SLOTS * SLOT_BYTES;
export const MAX_ATTRIBUTIONS = 63;
export const GRID_RECORD_BYTES = 21;

export const MAX_READ_DELAY_MS = 2 ** 40 - 1;
export const MAX_SLOT_WH = 2 ** 31 - 1;
export const MAX_VOLTAGE_CV = 65_534;

const HOUR_MS = 3_600_000;

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

/** Order of two versions of one interval as apply.lua applies it (> 0: `a` wins). */
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
  readonly dailyWh: number;
  /** HOUR_SLOTS sums (see hourSlot / hourSlotStartMs). */
  readonly hourlyWh: readonly number[];
  /** INTERVAL_SLOTS entries; undefined = no read yet. */
  readonly intervals: readonly (StoredInterval | undefined)[];
}

function attributionTable(buf: Buffer): string[] {
  const out: string[] = [];
  let at = TRAILER_OFFSET;
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
  if (buf === null || buf.length === 0) {
    return { dailyWh: 0, hourlyWh: new Array<number>(HOUR_SLOTS).fill(0), intervals };
  }
  if (buf.length < TRAILER_OFFSET) throw new RangeError(`meter-day value too short: ${buf.length} bytes`);
  const table = attributionTable(buf);
  const hourlyWh: number[] = [];
  for (let h = 0; h < HOUR_SLOTS; h++) hourlyWh.push(buf.readInt32BE(HOURLY_OFFSET + h * 4));
  for (let i = 0; i < INTERVAL_SLOTS; i++) {
    const o = SLOTS_OFFSET + i * SLOT_BYTES;
    const flags = buf.readUInt8(o);
    if ((flags & 1) === 0) continue;
    const entry = table[(flags >> 2) - 1];
    if (entry === undefined) throw new RangeError(`meter-day slot ${i} names a missing attribution`);
    intervals[i] = {
      index: i,
      estimated: (flags & 2) !== 0,
      readDelayMs: buf.readUIntBE(o + 1, 5),
      wh: buf.readInt32BE(o + 6),
      voltageCv: buf.readUInt16BE(o + 10),
      digestPrefix: buf.readUInt32BE(o + 12),
      attribution: parseAttributionText(entry),
    };
  }
  return { dailyWh: buf.readIntBE(DAILY_OFFSET, 6), hourlyWh, intervals };
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

/** Decodes a grid-day string into INTERVAL_SLOTS windows (missing ones are EMPTY_GRID_WINDOW). */
export function decodeGridDay(buf: Buffer | null): GridWindow[] {
  const out: GridWindow[] = [];
  for (let i = 0; i < INTERVAL_SLOTS; i++) {
    const o = i * GRID_RECORD_BYTES;
    if (buf === null || buf.length < o + GRID_RECORD_BYTES) {
      out.push(EMPTY_GRID_WINDOW);
      continue;
    }
    const metersReported = buf.readUIntBE(o + 6, 3);
    const vmin = buf.readUInt16BE(o + 17);
    const vmax = buf.readUInt16BE(o + 19);
    out.push({
      energyWh: buf.readIntBE(o, 6),
      metersReported,
      estimatedCount: buf.readUIntBE(o + 9, 3),
      voltageSumCv: buf.readUIntBE(o + 12, 5),
      voltageCount: metersReported,
      voltageMinCv: vmin === 0 ? null : vmin - 1,
      voltageMaxCv: vmax === 0 ? null : vmax - 1,
    });
  }
  return out;
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
