/**
 * Cached time-zone rules: the UTC offset at any instant and the local days and months of a zone,
 * built lazily from Intl (intl.ts) and then answered with a few comparisons.
 *
 * Caches, per zone:
 *  - per UTC day: the offset at the day's start and every offset change inside the day (found by
 *    sampling Intl every hour and bisecting to the second between samples that differ; two changes
 *    that cancel out within one hour would go unnoticed — no zone in the tz database has them);
 *  - per local day: its date string and bounds; per local month: its key and bounds;
 *  - the last offset segment, local day and local month used, so runs of nearby instants cost two
 *    comparisons.
 * Each map is bounded (oldest entries are dropped first), so memory stays small whatever the input.
 *
 * Definition of a local day (used by every layer): local day D starts at the first instant whose
 * local wall-clock date is D or later, and ends where day D+1 starts. Where midnight does not exist
 * (clocks jump from 23:59:59 to 01:00), the day starts at the jump; a date skipped entirely (as
 * Pacific/Apia's 2011-12-30) has an empty range and is never returned by dayContaining. Where clocks
 * fall back across midnight (e.g. America/St_Johns until 2011: 00:01 → 23:01), the repeated wall
 * times after the new day began belong to the new day, so days never overlap and always tile time.
 */
import { civilFromDays, firstDayOfMonthIndex, formatDayNumber, formatMonthIndex } from './civil.ts';
import { DAY_MS, HOUR_MS, MAX_INSTANT_MS, MIN_INSTANT_MS, SECOND_MS, assertInstant } from './constants.ts';
import { assertTimeZone, intlOffsetMs } from './intl.ts';

/** No zone's offset reaches this (real ones stay within ±16 h); bounds the search for day starts. */
const MAX_ABS_OFFSET_MS = 18 * HOUR_MS;
const UTC_DAY_CACHE_SIZE = 8_192;
const LOCAL_DAY_CACHE_SIZE = 8_192;
const LOCAL_MONTH_CACHE_SIZE = 1_024;

/** Offsets of one UTC day: offsets[i] applies from changes[i − 1] (or startMs) until changes[i] (or startMs + 1 day). */
interface UtcDayOffsets {
  readonly startMs: number;
  readonly offsets: readonly number[];
  readonly changes: readonly number[];
}

/** A local calendar day of a zone. */
export interface LocalDay {
  /** Days since 1970-01-01 of the calendar date. */
  readonly dayNumber: number;
  /** 'YYYY-MM-DD'. */
  readonly date: string;
  /** year × 12 + month − 1. */
  readonly monthIndex: number;
  /** First instant of the day (inclusive). */
  readonly startMs: number;
  /** First instant of the next day (exclusive). */
  readonly endMs: number;
}

/** A local calendar month of a zone. */
export interface LocalMonth {
  readonly monthIndex: number;
  /** 'YYYY-MM'. */
  readonly month: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** A Map that forgets its oldest entry when full. */
class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
}

/** Only ranges inside the supported instants are memoised, so the memo never answers for an instant out of range. */
function withinSupportedRange(range: { readonly startMs: number; readonly endMs: number }): boolean {
  return range.startMs >= MIN_INSTANT_MS && range.endMs <= MAX_INSTANT_MS;
}

const NO_DAY: LocalDay = { dayNumber: NaN, date: '', monthIndex: NaN, startMs: 0, endMs: 0 };
const NO_MONTH: LocalMonth = { monthIndex: NaN, month: '', startMs: 0, endMs: 0 };

export class ZoneRules {
  private readonly utcDays = new BoundedCache<number, UtcDayOffsets>(UTC_DAY_CACHE_SIZE);
  private readonly localDays = new BoundedCache<number, LocalDay>(LOCAL_DAY_CACHE_SIZE);
  private readonly localMonths = new BoundedCache<number, LocalMonth>(LOCAL_MONTH_CACHE_SIZE);
  private segmentStart = 0;
  private segmentEnd = 0;
  private segmentOffset = 0;
  private lastDay: LocalDay = NO_DAY;
  private lastMonth: LocalMonth = NO_MONTH;

  constructor(readonly timeZone: string) {}

  /** UTC offset (local wall time − UTC) in milliseconds at instant `ms`. */
  offsetAt(ms: number): number {
    if (ms >= this.segmentStart && ms < this.segmentEnd) return this.segmentOffset;
    assertInstant(ms);
    const entry = this.utcDay(Math.floor(ms / DAY_MS));
    const { offsets, changes } = entry;
    let i = 0;
    while (i < changes.length && ms >= (changes[i] ?? Infinity)) i++;
    this.segmentStart = i === 0 ? entry.startMs : (changes[i - 1] ?? entry.startMs);
    this.segmentEnd = i === changes.length ? entry.startMs + DAY_MS : (changes[i] ?? entry.startMs + DAY_MS);
    this.segmentOffset = offsets[i] ?? 0;
    return this.segmentOffset;
  }

  /** The local day containing instant `ms`. */
  dayContaining(ms: number): LocalDay {
    const last = this.lastDay;
    if (ms >= last.startMs && ms < last.endMs) return last;
    const offset = this.offsetAt(ms);
    let day = this.localDay(Math.floor((ms + offset) / DAY_MS));
    while (ms >= day.endMs) day = this.localDay(day.dayNumber + 1);
    if (withinSupportedRange(day)) this.lastDay = day;
    return day;
  }

  /** The local month containing instant `ms`. */
  monthContaining(ms: number): LocalMonth {
    const last = this.lastMonth;
    if (ms >= last.startMs && ms < last.endMs) return last;
    const month = this.localMonth(this.dayContaining(ms).monthIndex);
    if (withinSupportedRange(month)) this.lastMonth = month;
    return month;
  }

  /** Local day by day number (days since 1970-01-01). */
  localDay(dayNumber: number): LocalDay {
    let day = this.localDays.get(dayNumber);
    if (day === undefined) {
      const { year, month } = civilFromDays(dayNumber);
      day = Object.freeze({
        dayNumber,
        date: formatDayNumber(dayNumber),
        monthIndex: year * 12 + month - 1,
        startMs: this.startOfLocalDay(dayNumber),
        endMs: this.startOfLocalDay(dayNumber + 1),
      });
      this.localDays.set(dayNumber, day);
    }
    return day;
  }

  /** Local month by month index (year × 12 + month − 1). */
  localMonth(monthIndex: number): LocalMonth {
    let month = this.localMonths.get(monthIndex);
    if (month === undefined) {
      month = Object.freeze({
        monthIndex,
        month: formatMonthIndex(monthIndex),
        startMs: this.localDay(firstDayOfMonthIndex(monthIndex)).startMs,
        endMs: this.localDay(firstDayOfMonthIndex(monthIndex + 1)).startMs,
      });
      this.localMonths.set(monthIndex, month);
    }
    return month;
  }

  /** First instant whose local wall-clock date is `dayNumber` or later. */
  private startOfLocalDay(dayNumber: number): number {
    const wallMidnight = dayNumber * DAY_MS;
    const lastUtcDay = Math.floor((wallMidnight + MAX_ABS_OFFSET_MS) / DAY_MS);
    // Before wallMidnight − MAX_ABS_OFFSET_MS every wall time is earlier than the midnight, so the
    // first segment (in time order) that reaches it holds the answer.
    for (let d = Math.floor((wallMidnight - MAX_ABS_OFFSET_MS) / DAY_MS); d <= lastUtcDay; d++) {
      const { startMs, offsets, changes } = this.utcDay(d);
      for (let i = 0; i < offsets.length; i++) {
        const segmentStart = i === 0 ? startMs : (changes[i - 1] ?? startMs);
        const segmentEnd = i === changes.length ? startMs + DAY_MS : (changes[i] ?? startMs + DAY_MS);
        const t = Math.max(segmentStart, wallMidnight - (offsets[i] ?? 0));
        if (t < segmentEnd) return t;
      }
    }
    throw new Error(`no start found for local day ${formatDayNumber(dayNumber)} in ${this.timeZone}`);
  }

  private utcDay(utcDayNumber: number): UtcDayOffsets {
    let entry = this.utcDays.get(utcDayNumber);
    if (entry === undefined) {
      entry = this.computeUtcDay(utcDayNumber);
      this.utcDays.set(utcDayNumber, entry);
    }
    return entry;
  }

  private computeUtcDay(utcDayNumber: number): UtcDayOffsets {
    const startMs = utcDayNumber * DAY_MS;
    const offsets = [this.intlOffset(startMs)];
    const changes: number[] = [];
    let previousSample = startMs;
    for (let k = 1; k <= 24; k++) {
      // The last sample is the day's last millisecond: a change at the next midnight belongs to the next day.
      const sample = k < 24 ? startMs + k * HOUR_MS : startMs + DAY_MS - 1;
      let current = offsets[offsets.length - 1] ?? 0;
      const sampleOffset = this.intlOffset(sample);
      // Bisect (in whole seconds: Intl resolves offsets to the second) for each change between samples.
      let lo = Math.floor(previousSample / SECOND_MS);
      const last = Math.floor(sample / SECOND_MS);
      while (sampleOffset !== current) {
        let hi = last;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.intlOffset(mid * SECOND_MS) === current) lo = mid;
          else hi = mid;
        }
        current = this.intlOffset(hi * SECOND_MS);
        changes.push(hi * SECOND_MS);
        offsets.push(current);
        lo = hi;
      }
      previousSample = sample;
    }
    return Object.freeze({ startMs, offsets, changes });
  }

  private intlOffset(ms: number): number {
    const offset = intlOffsetMs(ms, this.timeZone);
    if (!(Math.abs(offset) < MAX_ABS_OFFSET_MS)) {
      throw new RangeError(`implausible UTC offset ${offset} ms in ${this.timeZone}`);
    }
    return offset;
  }
}

const zones = new Map<string, ZoneRules>();
let lastZoneName = '';
let lastZone: ZoneRules | undefined;

/** The cached rules of an IANA time zone; throws a RangeError for a zone Intl does not know. */
export function zoneRules(timeZone: string): ZoneRules {
  if (timeZone === lastZoneName && lastZone !== undefined) return lastZone;
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    assertTimeZone(timeZone);
    zone = new ZoneRules(timeZone);
    zones.set(timeZone, zone);
  }
  lastZoneName = timeZone;
  lastZone = zone;
  return zone;
}

/** Forgets every cached zone (for benchmarks of the cold path and tests of cache filling). */
export function resetZoneCaches(): void {
  zones.clear();
  lastZoneName = '';
  lastZone = undefined;
}
