/**
 * Exhaustive checks around the Europe/Stockholm DST changes of 2025 and 2026: every interval of the
 * change days and their neighbours, local dates at the edges, window bounds of every step, and ISO
 * formatting/parsing of the repeated and skipped wall times.
 */
import { describe, expect, it } from 'vitest';
import {
  INTERVAL_MS,
  STEPS,
  addLocalDays,
  formatIsoOffset,
  formatIsoUtc,
  intervalIndexInLocalDay,
  intervalStartsOfLocalDay,
  intervalsInLocalDay,
  localDate,
  localDayBounds,
  localMonth,
  localMonthBounds,
  localParts,
  parseIsoInstant,
  windowBounds,
  windowKey,
  windowStart,
  windowsBetween,
} from '../../src/time/index.ts';
import { HOUR, QUARTER, reference, utc } from './reference.ts';

const TZ = 'Europe/Stockholm';

interface Change {
  readonly date: string;
  readonly kind: 'spring' | 'autumn';
  /** The UTC instant of the change (01:00Z on the last Sunday of March/October). */
  readonly atMs: number;
}

const CHANGES: readonly Change[] = [
  { date: '2025-03-30', kind: 'spring', atMs: utc('2025-03-30T01:00') },
  { date: '2025-10-26', kind: 'autumn', atMs: utc('2025-10-26T01:00') },
  { date: '2026-03-29', kind: 'spring', atMs: utc('2026-03-29T01:00') },
  { date: '2026-10-25', kind: 'autumn', atMs: utc('2026-10-25T01:00') },
];

const two = (n: number): string => String(n).padStart(2, '0');

/** The wall times (with offsets) the intervals of a change day must format to, built by hand. */
function expectedWallTimes(change: Change): string[] {
  const out: string[] = [];
  for (let h = 0; h < 24; h++) {
    const offsets =
      change.kind === 'spring'
        ? h === 2
          ? []
          : [h < 2 ? '+01:00' : '+02:00']
        : h < 2
          ? ['+02:00']
          : h === 2
            ? ['+02:00', '+01:00']
            : ['+01:00'];
    for (const offset of offsets) {
      for (const m of [0, 15, 30, 45]) out.push(`${change.date}T${two(h)}:${two(m)}:00${offset}`);
    }
  }
  return out;
}

describe.each(CHANGES)('Europe/Stockholm DST change $date ($kind)', (change) => {
  const { date, kind, atMs } = change;
  const previous = addLocalDays(date, -1);
  const next = addLocalDays(date, 1);
  const bounds = localDayBounds(date, TZ);

  it('has 92 (spring) or 100 (autumn) intervals, its neighbours 96', () => {
    expect(intervalsInLocalDay(date, TZ)).toBe(kind === 'spring' ? 92 : 100);
    expect(intervalsInLocalDay(previous, TZ)).toBe(96);
    expect(intervalsInLocalDay(next, TZ)).toBe(96);
    expect(bounds.endMs - bounds.startMs).toBe((kind === 'spring' ? 23 : 25) * HOUR);
  });

  it('starts at local midnight (+01:00 in spring, +02:00 in autumn) and ends at the next midnight', () => {
    expect(bounds.startMs).toBe(atMs - (kind === 'spring' ? 2 : 3) * HOUR);
    expect(formatIsoOffset(bounds.startMs, TZ)).toBe(
      `${date}T00:00:00${kind === 'spring' ? '+01:00' : '+02:00'}`,
    );
    expect(formatIsoOffset(bounds.endMs, TZ)).toBe(
      `${next}T00:00:00${kind === 'spring' ? '+02:00' : '+01:00'}`,
    );
    expect(localDayBounds(previous, TZ).endMs).toBe(bounds.startMs);
    expect(localDayBounds(next, TZ).startMs).toBe(bounds.endMs);
  });

  it('lists every interval start of the day, matching the hand-built wall times and Intl', () => {
    const starts = intervalStartsOfLocalDay(date, TZ);
    expect(starts.map((s) => formatIsoOffset(s, TZ))).toEqual(expectedWallTimes(change));
    expect(starts[0]).toBe(bounds.startMs);
    expect((starts.at(-1) ?? NaN) + INTERVAL_MS).toBe(bounds.endMs);
    starts.forEach((s, i) => {
      expect(formatIsoOffset(s, TZ)).toBe(reference(s, TZ).iso);
      expect(parseIsoInstant(formatIsoOffset(s, TZ))).toBe(s);
      expect(localDate(s, TZ)).toBe(date);
      expect(intervalIndexInLocalDay(s, TZ)).toBe(i);
      if (i > 0) expect(s - (starts[i - 1] ?? NaN)).toBe(QUARTER);
    });
  });

  it('lists every interval start of the neighbouring days', () => {
    for (const day of [previous, next]) {
      const starts = intervalStartsOfLocalDay(day, TZ);
      expect(starts).toHaveLength(96);
      for (const s of starts) expect(reference(s, TZ).date).toBe(day);
    }
  });

  it('gives the right local date just before/after the change and around both midnights', () => {
    expect(localDate(atMs - 1, TZ)).toBe(date);
    expect(localDate(atMs, TZ)).toBe(date);
    expect(localDate(bounds.startMs - 1, TZ)).toBe(previous);
    expect(localDate(bounds.startMs, TZ)).toBe(date);
    expect(localDate(bounds.endMs - 1, TZ)).toBe(date);
    expect(localDate(bounds.endMs, TZ)).toBe(next);
  });

  it('attributes the 23:45–24:00 interval to its own day (by interval start, not end)', () => {
    for (const day of [previous, date, next]) {
      const { endMs } = localDayBounds(day, TZ);
      const lastStart = endMs - INTERVAL_MS;
      expect(formatIsoOffset(lastStart, TZ)).toMatch(new RegExp(`^${day}T23:45:00`));
      expect(localDate(lastStart, TZ)).toBe(day);
      expect(windowKey(lastStart, '1d', TZ)).toBe(day);
      expect(localDate(endMs, TZ)).toBe(addLocalDays(day, 1));
    }
  });

  it('has the right window of every step for every interval of the day', () => {
    const month = date.slice(0, 7);
    const monthBounds = localMonthBounds(month, TZ);
    for (const s of intervalStartsOfLocalDay(date, TZ)) {
      for (const probe of [s, s + 1, s + INTERVAL_MS - 1]) {
        expect(windowBounds(probe, '15m', TZ)).toEqual({ startMs: s, endMs: s + INTERVAL_MS });
        const hour = Math.floor(s / HOUR) * HOUR;
        expect(windowBounds(probe, '1h', TZ)).toEqual({ startMs: hour, endMs: hour + HOUR });
        expect(windowBounds(probe, '1d', TZ)).toEqual(bounds);
        expect(windowBounds(probe, '1mo', TZ)).toEqual(monthBounds);
        for (const step of STEPS)
          expect(windowStart(probe, step, TZ)).toBe(windowBounds(probe, step, TZ).startMs);
      }
      expect(windowKey(s, '15m', TZ)).toBe(String(s / 60_000));
      expect(windowKey(s, '1d', TZ)).toBe(date);
      expect(windowKey(s, '1mo', TZ)).toBe(month);
    }
    // March has 743 hours, October 745.
    expect(monthBounds.endMs - monthBounds.startMs).toBe((kind === 'spring' ? 743 : 745) * HOUR);
    expect(localMonth(monthBounds.startMs, TZ)).toBe(month);
    expect(localMonth(monthBounds.endMs - 1, TZ)).toBe(month);
  });

  it('covers the day with 23/25 hourly and 92/100 quarter-hour windows', () => {
    const hours = windowsBetween(bounds.startMs, bounds.endMs, '1h', TZ);
    expect(hours).toHaveLength(kind === 'spring' ? 23 : 25);
    expect(new Set(hours.map((w) => w.key)).size).toBe(hours.length);
    const quarters = windowsBetween(bounds.startMs, bounds.endMs, '15m', TZ);
    expect(quarters.map((w) => w.startMs)).toEqual(intervalStartsOfLocalDay(date, TZ));
    expect(windowsBetween(bounds.startMs, bounds.endMs, '1d', TZ)).toEqual([{ ...bounds, key: date }]);
  });

  it('formats instants around the change with the right offsets and parses them back', () => {
    const cases: ReadonlyArray<readonly [number, string]> =
      kind === 'spring'
        ? [
            [atMs - 1, `${date}T01:59:59.999+01:00`],
            [atMs, `${date}T03:00:00+02:00`],
            [atMs + 1, `${date}T03:00:00.001+02:00`],
          ]
        : [
            [atMs - HOUR, `${date}T02:00:00+02:00`],
            [atMs - HOUR / 2, `${date}T02:30:00+02:00`],
            [atMs - 1, `${date}T02:59:59.999+02:00`],
            [atMs, `${date}T02:00:00+01:00`],
            [atMs + HOUR / 2, `${date}T02:30:00+01:00`],
            [atMs + HOUR, `${date}T03:00:00+01:00`],
          ];
    for (const [ms, iso] of cases) {
      expect(formatIsoOffset(ms, TZ)).toBe(iso);
      expect(parseIsoInstant(iso)).toBe(ms);
      expect(parseIsoInstant(formatIsoUtc(ms))).toBe(ms);
    }
  });

  it('gives local wall-clock parts around the change', () => {
    const hoursSeen = [-2, -1, 0, 1].map((h) => localParts(atMs + h * HOUR, TZ).hour);
    expect(hoursSeen).toEqual(kind === 'spring' ? [0, 1, 3, 4] : [1, 2, 2, 3]);
    expect(localParts(atMs, TZ).weekday).toBe(7);
  });
});
