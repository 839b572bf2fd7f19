/**
 * Estimation method 3, like-day history: a gap slot gets the average (rounded to Wh) of the same
 * wall-clock quarter-hour on the `likeDayCount` nearest earlier like days (same day type: weekday vs
 * weekend/holiday, within `likeDayLookbackDays`) that have an actual or edited value there; it needs
 * at least `likeDayMin` such days. Slots line up by wall clock, so DST days (92/100 slots) match
 * their neighbours; a quarter-hour a history day skipped (spring forward) does not count for it.
 */
import { addLocalDays } from '@ami/shared/time';
import { M_LIKE_DAY, Q_E, Q_X } from './codes.ts';
import { dayLayout, dayTypeOf, type DayLayout } from './day-layout.ts';
import { isAnchor, type HistoryDay, type VeeDay } from './model.ts';

export interface LikeDayParams {
  readonly likeDayCount: number;
  readonly likeDayMin: number;
  readonly likeDayLookbackDays: number;
}

interface Candidate {
  readonly day: HistoryDay;
  readonly layout: DayLayout;
}

/** History days that are like days of `date`, nearest first. */
export function likeDays(
  date: string,
  history: readonly HistoryDay[],
  timeZone: string,
  lookbackDays: number,
  holidays?: ReadonlySet<string>,
): HistoryDay[] {
  const from = addLocalDays(date, -lookbackDays);
  const type = dayTypeOf(date, holidays);
  return history
    .filter((h) => h.date >= from && h.date < date && dayTypeOf(h.date, holidays) === type)
    .sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

/** Fills gaps among slots [0, limit); returns the number of slots filled. */
export function estimateLikeDay(
  day: VeeDay,
  history: readonly HistoryDay[],
  holidays: ReadonlySet<string> | undefined,
  p: LikeDayParams,
  limit: number,
): number {
  const { layout } = day;
  let candidates: Candidate[] | null = null;
  let filled = 0;
  for (let i = 0; i < limit; i++) {
    if (day.quality[i] !== Q_X) continue;
    // History is only looked at once a gap is found (the rebuild loads it only for meters that ask).
    if (history.length === 0) return 0;
    candidates ??= likeDays(layout.date, history, layout.timeZone, p.likeDayLookbackDays, holidays).map(
      (d) => ({ day: d, layout: dayLayout(d.date, layout.timeZone) }),
    );
    if (candidates.length < p.likeDayMin) return filled;
    const q = layout.wallQuarter[i]!;
    let sum = 0;
    let n = 0;
    for (let c = 0; c < candidates.length && n < p.likeDayCount; c++) {
      const cand = candidates[c]!;
      const s = cand.layout.slotOfWallQuarter[q]!;
      if (s < 0 || s >= cand.day.wh.length || !isAnchor(cand.day.quality[s]!)) continue;
      sum += cand.day.wh[s]!;
      n++;
    }
    if (n < p.likeDayMin) continue;
    day.wh[i] = Math.round(sum / n);
    day.quality[i] = Q_E;
    day.method[i] = M_LIKE_DAY;
    filled++;
  }
  return filled;
}
