/**
 * The slot layout of one local day in a zone, shared by every meter of that day: number of slots
 * (92/96/100 on DST days in Europe/Stockholm), first slot start, and each slot's wall-clock
 * quarter-hour (0…95), which is how like-day history and load shapes line up across DST days.
 * Also the like-day type of a date (weekday vs weekend/holiday). Layouts are memoised per zone+date.
 */
import {
  INTERVAL_MS,
  intervalsInLocalDay,
  localDayBounds,
  localParts,
  weekdayOfLocalDate,
} from '@ami/shared/time';

export interface DayLayout {
  readonly date: string;
  readonly timeZone: string;
  /** First slot's interval_start (UTC ms). Slot i starts at firstSlotMs + i × 15 min. */
  readonly firstSlotMs: number;
  /** End of the local day (exclusive, UTC ms). */
  readonly endMs: number;
  readonly slots: number;
  /** Wall-clock quarter-hour (hour × 4 + minute / 15) of each slot. */
  readonly wallQuarter: Uint8Array;
  /** First slot showing each wall-clock quarter-hour, −1 where the day skips it (spring forward). */
  readonly slotOfWallQuarter: Int16Array;
  /** ISO weekday 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const cache = new Map<string, DayLayout>();
const CACHE_LIMIT = 4096;

/** Layout of `date` in `timeZone` (memoised). */
export function dayLayout(date: string, timeZone: string): DayLayout {
  const key = `${timeZone}|${date}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const bounds = localDayBounds(date, timeZone);
  const slots = intervalsInLocalDay(date, timeZone);
  const firstSlotMs = Math.ceil(bounds.startMs / INTERVAL_MS) * INTERVAL_MS;
  const wallQuarter = new Uint8Array(slots);
  const slotOfWallQuarter = new Int16Array(96).fill(-1);
  for (let i = 0; i < slots; i++) {
    const p = localParts(firstSlotMs + i * INTERVAL_MS, timeZone);
    const q = p.hour * 4 + Math.floor(p.minute / 15);
    wallQuarter[i] = q;
    if (slotOfWallQuarter[q] === -1) slotOfWallQuarter[q] = i;
  }
  const layout: DayLayout = {
    date,
    timeZone,
    firstSlotMs,
    endMs: bounds.endMs,
    slots,
    wallQuarter,
    slotOfWallQuarter,
    weekday: weekdayOfLocalDate(date),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, layout);
  return layout;
}

/** Like-day type: weekdays (Mon–Fri, not a holiday) vs weekends and holidays. */
export type DayType = 'weekday' | 'weekend';

export function dayTypeOf(date: string, holidays?: ReadonlySet<string>): DayType {
  if (holidays !== undefined && holidays.has(date)) return 'weekend';
  return weekdayOfLocalDate(date) >= 6 ? 'weekend' : 'weekday';
}
