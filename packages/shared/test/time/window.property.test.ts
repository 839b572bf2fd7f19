/**
 * Properties of windows, local days and months over random instants of 2000–2040 in zones with DST,
 * a 45-minute offset and none, for every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INTERVAL_MS,
  STEPS,
  addLocalDays,
  billingPeriodBounds,
  billingPeriodOf,
  intervalStartsOfLocalDay,
  intervalsInLocalDay,
  localDate,
  localDatesBetween,
  localDatesOfMonth,
  localDayBounds,
  localMonth,
  localMonthBounds,
  windowBounds,
  windowBoundsOfKey,
  windowKey,
  windowStart,
  windowsBetween,
  type Step,
} from '../../src/time/index.ts';
import { DAY, HOUR, MAX_TEST_MS, MIN_TEST_MS } from './reference.ts';

const ZONES = ['Europe/Stockholm', 'America/New_York', 'Asia/Kathmandu', 'UTC'] as const;
const DST_ZONES: ReadonlySet<string> = new Set(['Europe/Stockholm', 'America/New_York']);

const zone = fc.constantFrom(...ZONES);
const step = fc.constantFrom(...STEPS);
const instant = fc.integer({ min: MIN_TEST_MS, max: MAX_TEST_MS });
const localDateArb = instant.map((ms) => new Date(ms).toISOString().slice(0, 10));
const monthArb = localDateArb.map((d) => d.slice(0, 7));

/** Nominal window length, to size the random ranges. */
const NOMINAL_MS: Readonly<Record<Step, number>> = {
  '15m': INTERVAL_MS,
  '1h': HOUR,
  '1d': DAY,
  '1mo': 31 * DAY,
};

const RUNS = { numRuns: 400 };

describe('windows', () => {
  it('put every instant in exactly one window: start ≤ t < end, and the start is a fixed point', () => {
    fc.assert(
      fc.property(zone, step, instant, (tz, s, t) => {
        const b = windowBounds(t, s, tz);
        expect(windowStart(t, s, tz)).toBe(b.startMs);
        expect(b.startMs <= t && t < b.endMs).toBe(true);
        expect(windowStart(b.startMs, s, tz)).toBe(b.startMs);
        expect(windowBounds(b.endMs - 1, s, tz)).toEqual(b);
        // Neighbours touch it exactly: no gap, no overlap.
        expect(windowBounds(b.startMs - 1, s, tz).endMs).toBe(b.startMs);
        expect(windowStart(b.endMs, s, tz)).toBe(b.endMs);
        // The key names the same window.
        const key = windowKey(t, s, tz);
        expect(windowKey(b.startMs, s, tz)).toBe(key);
        expect(windowKey(b.endMs - 1, s, tz)).toBe(key);
        expect(windowKey(b.endMs, s, tz)).not.toBe(key);
        expect(windowBoundsOfKey(key, s, tz)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('match the step: UTC-aligned 15 min / 1 h; local days of 23–25 h; local months', () => {
    fc.assert(
      fc.property(zone, instant, (tz, t) => {
        expect(windowBounds(t, '15m', tz)).toEqual({
          startMs: t - (t % INTERVAL_MS),
          endMs: t - (t % INTERVAL_MS) + INTERVAL_MS,
        });
        expect(windowBounds(t, '1h', tz)).toEqual({ startMs: t - (t % HOUR), endMs: t - (t % HOUR) + HOUR });
        const day = windowBounds(t, '1d', tz);
        const hours = (day.endMs - day.startMs) / HOUR;
        expect(DST_ZONES.has(tz) ? [23, 24, 25] : [24]).toContain(hours);
        expect(windowKey(t, '1d', tz)).toBe(localDate(t, tz));
        expect(windowKey(t, '1mo', tz)).toBe(localMonth(t, tz));
        expect(windowKey(t, '1mo', tz)).toBe(localDate(t, tz).slice(0, 7));
      }),
      RUNS,
    );
  });

  it('tile time without gaps or overlaps, walking across DST changes', () => {
    const walkLength: Readonly<Record<Step, number>> = { '15m': 3000, '1h': 800, '1d': 400, '1mo': 30 };
    fc.assert(
      fc.property(zone, step, instant, (tz, s, t) => {
        let b = windowBounds(t, s, tz);
        const keys = [windowKey(t, s, tz)];
        for (let i = 0; i < walkLength[s]; i++) {
          const next = windowBounds(b.endMs, s, tz);
          if (next.startMs !== b.endMs || next.endMs <= next.startMs) {
            expect({ tz, s, previous: b, next }).toBe('a tiling');
          }
          keys.push(windowKey(next.startMs, s, tz));
          b = next;
        }
        // Keys are distinct and ordered (numerically for minute keys, as strings for dates and months).
        const sorted =
          s === '15m' || s === '1h' ? [...keys].sort((a, c) => Number(a) - Number(c)) : [...keys].sort();
        expect(keys).toEqual(sorted);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 60 },
    );
  });

  it('windowsBetween covers exactly [from, to)', () => {
    fc.assert(
      fc.property(
        zone,
        step,
        instant,
        fc.double({ min: 0, max: 120, noNaN: true }),
        (tz, s, from, spanInWindows) => {
          const to = from + Math.floor(spanInWindows * NOMINAL_MS[s]);
          const windows = windowsBetween(from, to, s, tz);
          if (to <= from) {
            expect(windows).toEqual([]);
            return;
          }
          const first = windows[0];
          const last = windows.at(-1);
          if (first === undefined || last === undefined) throw new Error('no windows for a non-empty range');
          expect(first).toEqual({ ...windowBounds(from, s, tz), key: windowKey(from, s, tz) });
          expect(last).toEqual({ ...windowBounds(to - 1, s, tz), key: windowKey(to - 1, s, tz) });
          windows.forEach((w, i) => {
            expect(w.endMs).toBeGreaterThan(w.startMs);
            if (i > 0) expect(w.startMs).toBe(windows[i - 1]?.endMs);
          });
          if (s === '1d') {
            expect(windows.map((w) => w.key)).toEqual(
              localDatesBetween(localDate(from, tz), localDate(to - 1, tz)),
            );
          }
        },
      ),
      RUNS,
    );
  });
});

describe('local days', () => {
  it('start at their first instant and end where the next starts', () => {
    fc.assert(
      fc.property(zone, localDateArb, (tz, d) => {
        const { startMs, endMs } = localDayBounds(d, tz);
        expect(localDate(startMs, tz)).toBe(d);
        expect(localDate(endMs - 1, tz)).toBe(d);
        expect(localDate(startMs - 1, tz)).toBe(addLocalDays(d, -1));
        expect(localDate(endMs, tz)).toBe(addLocalDays(d, 1));
        expect(localDayBounds(addLocalDays(d, 1), tz).startMs).toBe(endMs);
        const starts = intervalStartsOfLocalDay(d, tz);
        expect(starts).toHaveLength(intervalsInLocalDay(d, tz));
        expect(starts.length).toBe((endMs - startMs) / INTERVAL_MS);
        expect(DST_ZONES.has(tz) ? [92, 96, 100] : [96]).toContain(starts.length);
        expect(starts.every((s) => localDate(s, tz) === d)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('local months and billing periods', () => {
  it('are the sum of their days: Σ intervalsInLocalDay = (end − start) / 15 min', () => {
    fc.assert(
      fc.property(zone, monthArb, (tz, m) => {
        const { startMs, endMs } = localMonthBounds(m, tz);
        const days = localDatesOfMonth(m);
        const total = days.reduce((sum, d) => sum + intervalsInLocalDay(d, tz), 0);
        expect(total).toBe((endMs - startMs) / INTERVAL_MS);
        expect(localDayBounds(days[0] ?? '', tz).startMs).toBe(startMs);
        expect(localDayBounds(days.at(-1) ?? '', tz).endMs).toBe(endMs);
        expect(localMonth(startMs, tz)).toBe(m);
        expect(localMonth(endMs - 1, tz)).toBe(m);
        expect(localMonth(startMs - 1, tz)).not.toBe(m);
        expect(billingPeriodOf(startMs, tz)).toBe(m);
        expect(billingPeriodBounds(m, tz)).toEqual({ startMs, endMs });
      }),
      RUNS,
    );
  });
});
