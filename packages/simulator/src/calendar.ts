/**
 * The simulated time line: every 15-minute interval of the simulated local days, with the
 * timestamp strings each message needs formatted once per interval (shared by all meters). Days
 * are built when first asked for and only the last few are kept, so a live run that goes on until
 * stopped (`days` = Infinity) keeps a flat memory.
 */
import {
  INTERVAL_MS,
  addLocalDays,
  formatIsoOffset,
  intervalStartsOfLocalDay,
  localDate,
  localDayBounds,
  localDaysBetween,
  localParts,
} from '@ami/shared/time';

export interface IntervalSlot {
  /** Position in the whole simulation, 0-based. */
  readonly index: number;
  /** Simulated local day (0-based) the interval is attributed to. */
  readonly day: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly startIso: string;
  readonly endIso: string;
  /** endIso up to and including the hour ('2026-03-29T03:'), for read_ts = end + a few minutes. */
  readonly endHourPrefix: string;
  /** Local minute of interval_end (0, 15, 30 or 45 in whole-hour-offset zones). */
  readonly endMinute: number;
  /** endIso's offset part ('+02:00'). */
  readonly endOffset: string;
  /** True for the first interval of its local day (the day's faults are planned before it). */
  readonly startsDay: boolean;
  /** True when interval_end is a local midnight: DAILY register reads are taken at it. */
  readonly endsDay: boolean;
  /** Local wall clock at the interval's middle, as fractional hours 0–24. */
  readonly localHour: number;
  /** ISO weekday of the interval's start (1 = Monday). */
  readonly weekday: number;
  /** Day of the year (0–365) of the interval's start, for seasonal factors. */
  readonly dayOfYear: number;
}

const MONTH_START_DOY = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Days kept built (the current one, a look-ahead and a little history). */
const KEPT_DAYS = 4;

/** The intervals of local `date`, the `day`-th simulated day, whose first interval has index `firstIndex`. */
export function buildDaySlots(
  date: string,
  day: number,
  firstIndex: number,
  timeZone: string,
): IntervalSlot[] {
  const starts = intervalStartsOfLocalDay(date, timeZone);
  const lastStart = starts[starts.length - 1];
  return starts.map((s, i) => {
    const e = s + INTERVAL_MS;
    const endIso = formatIsoOffset(e, timeZone);
    const mid = localParts(s + INTERVAL_MS / 2, timeZone);
    const start = localParts(s, timeZone);
    return {
      index: firstIndex + i,
      day,
      startMs: s,
      endMs: e,
      startIso: formatIsoOffset(s, timeZone),
      endIso,
      endHourPrefix: endIso.slice(0, 14),
      endMinute: Number(endIso.slice(14, 16)),
      endOffset: endIso.slice(19),
      startsDay: i === 0,
      endsDay: s === lastStart,
      localHour: mid.hour + mid.minute / 60 + mid.second / 3600,
      weekday: start.weekday,
      dayOfYear: (MONTH_START_DOY[start.month - 1] ?? 0) + start.day - 1,
    };
  });
}

/** `days` local days from `startDate` in `timeZone` (days = Infinity: without end). */
export class Timeline {
  /** First instant of the first day. */
  readonly startMs: number;
  /** First instant of the day after the last one (Infinity without end). */
  readonly endMs: number;
  /** Number of intervals (Infinity without end). */
  readonly slotCount: number;
  private readonly firstStartMs: number;
  private readonly built = new Map<number, readonly IntervalSlot[]>();

  constructor(
    readonly startDate: string,
    readonly days: number,
    readonly timeZone: string,
  ) {
    if (!(days >= 1) || (Number.isFinite(days) && !Number.isInteger(days))) {
      throw new RangeError(`days must be a positive integer or Infinity, got ${days}`);
    }
    this.startMs = localDayBounds(startDate, timeZone).startMs;
    this.firstStartMs = Math.ceil(this.startMs / INTERVAL_MS) * INTERVAL_MS;
    this.endMs = Number.isFinite(days) ? this.dayStartMs(days) : Infinity;
    this.slotCount = Number.isFinite(days) ? this.firstSlotOfDay(days) : Infinity;
  }

  /** The local date of simulated day `day`. */
  date(day: number): string {
    return addLocalDays(this.startDate, day);
  }

  /** First instant of simulated day `day` (day = days: the end). */
  dayStartMs(day: number): number {
    return localDayBounds(this.date(day), this.timeZone).startMs;
  }

  /** Index of the first interval of day `day` (day = days: slotCount). */
  firstSlotOfDay(day: number): number {
    return Math.ceil((this.dayStartMs(day) - this.firstStartMs) / INTERVAL_MS);
  }

  /** The local midnight starting day `day` (day = days: the end), with its offset. */
  midnightIso(day: number): string {
    return formatIsoOffset(this.dayStartMs(day), this.timeZone);
  }

  /** Index of the interval containing instant `ms` (may be < 0 or ≥ slotCount). */
  slotIndexAt(ms: number): number {
    return Math.floor((ms - this.firstStartMs) / INTERVAL_MS);
  }

  /** The intervals of day `day`. */
  slotsOfDay(day: number): readonly IntervalSlot[] {
    if (!Number.isInteger(day) || day < 0 || day >= this.days) {
      throw new RangeError(`day ${day} is outside the simulation (0…${this.days - 1})`);
    }
    let slots = this.built.get(day);
    if (slots === undefined) {
      slots = buildDaySlots(this.date(day), day, this.firstSlotOfDay(day), this.timeZone);
      this.built.set(day, slots);
      if (this.built.size > KEPT_DAYS) this.built.delete(Math.min(...this.built.keys()));
    }
    return slots;
  }

  /** The interval with index `index`. */
  slot(index: number): IntervalSlot {
    if (!Number.isInteger(index) || index < 0 || index >= this.slotCount) {
      throw new RangeError(`interval ${index} is outside the simulation (0…${this.slotCount - 1})`);
    }
    const startMs = this.firstStartMs + index * INTERVAL_MS;
    const day = localDaysBetween(this.startDate, localDate(startMs, this.timeZone));
    const slots = this.slotsOfDay(day);
    const slot = slots[index - (slots[0]?.index ?? 0)];
    if (slot === undefined) throw new RangeError(`interval ${index} not found in day ${day}`);
    return slot;
  }

  /** Every interval in time order (without end when days = Infinity). */
  *slots(): Generator<IntervalSlot> {
    for (let day = 0; day < this.days; day++) yield* this.slotsOfDay(day);
  }
}

/** The calendar of a simulation (kept name: a Timeline). */
export type SimCalendar = Timeline;

/** The time line of `days` local days from `startDate` in `timeZone` (days = Infinity: without end). */
export function buildCalendar(startDate: string, days: number, timeZone: string): SimCalendar {
  return new Timeline(startDate, days, timeZone);
}
