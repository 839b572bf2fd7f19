import { describe, expect, it } from 'vitest';
import { localDayBounds } from '@ami/shared/time';
import { decideRetention, hardCapOldestDate, isCoveredByBatch } from '../../src/retention/policy.ts';

const TZ = 'Europe/Stockholm';
const policy = { graceMs: 3_600_000, hardCapDays: 7, timeZone: TZ };
const endOf = (d: string) => localDayBounds(d, TZ).endMs;
const startOf = (d: string) => localDayBounds(d, TZ).startMs;

describe('retention policy', () => {
  it('covers a day once the batch watermark reaches its local end (DST day included)', () => {
    expect(isCoveredByBatch('2026-03-29', endOf('2026-03-29'), TZ)).toBe(true);
    expect(isCoveredByBatch('2026-03-29', endOf('2026-03-29') - 1, TZ)).toBe(false);
    expect(isCoveredByBatch('2026-03-29', null, TZ)).toBe(false);
  });

  it('drops a covered day only after the grace period since it was first seen covered', () => {
    const now = endOf('2026-03-12') + 5 * 3_600_000;
    const base = {
      dates: ['2026-03-12', '2026-03-11', '2026-03-10'],
      batchWatermarkMs: endOf('2026-03-11'),
      partitionWatermarkMs: now,
      nowMs: now,
    };
    const first = decideRetention({ ...base, coveredSinceMs: new Map() }, policy);
    expect(first.drop).toEqual([]);
    expect(first.newlyCovered).toEqual(['2026-03-10', '2026-03-11']);
    const seen = new Map([
      ['2026-03-10', now - 3_600_000],
      ['2026-03-11', now - 3_599_999],
    ]);
    const second = decideRetention({ ...base, coveredSinceMs: seen }, policy);
    expect(second.drop).toEqual([{ date: '2026-03-10', covered: true }]);
    expect(second.retainFrom).toBe('2026-03-11');
  });

  it('caps retention at N days before the partition watermark even when the batch is stalled', () => {
    const wm = startOf('2026-03-20') + 10 * 3_600_000;
    expect(hardCapOldestDate(wm, policy)).toBe('2026-03-13');
    expect(hardCapOldestDate(-Infinity, policy)).toBeUndefined();
    const d = decideRetention(
      {
        dates: ['2026-03-11', '2026-03-12', '2026-03-13', '2026-03-20'],
        batchWatermarkMs: endOf('2026-03-11'),
        coveredSinceMs: new Map([['2026-03-11', 0]]),
        partitionWatermarkMs: wm,
        nowMs: wm,
      },
      policy,
    );
    expect(d.drop).toEqual([
      { date: '2026-03-11', covered: true },
      { date: '2026-03-12', covered: false },
    ]);
    expect(d.retainFrom).toBe('2026-03-13');
  });

  it('only ever drops a prefix: an uncovered day stops the scan even if a later one is covered', () => {
    const now = endOf('2026-03-12') + 86_400_000;
    const d = decideRetention(
      {
        dates: ['2026-03-10', '2026-03-11'],
        batchWatermarkMs: null,
        coveredSinceMs: new Map([['2026-03-11', 0]]),
        partitionWatermarkMs: now,
        nowMs: now,
      },
      policy,
    );
    expect(d.drop).toEqual([]);
    expect(d.retainFrom).toBeUndefined();
  });

  describe("per published day (the catalog's published days, not the watermark alone)", () => {
    // published: 03-09, 03-10, then a gap 03-11 (its build failed), then 03-12 → watermark end of 03-12
    const published = new Set(['2026-03-09', '2026-03-10', '2026-03-12']);
    const isBatchDay = (d: string) => d < '2026-03-09' || published.has(d);

    it('covers a day when THAT day is published, not because it lies before the watermark', () => {
      const wm = endOf('2026-03-12');
      expect(isCoveredByBatch('2026-03-11', wm, TZ)).toBe(true); // the watermark alone would drop it
      expect(isCoveredByBatch('2026-03-11', wm, TZ, isBatchDay)).toBe(false);
      expect(isCoveredByBatch('2026-03-12', wm, TZ, isBatchDay)).toBe(true);
      expect(isCoveredByBatch('2026-03-08', wm, TZ, isBatchDay)).toBe(true); // before the first published day
    });

    it('never drops an unpublished gap day before the watermark (nor anything after it) but by the cap', () => {
      const now = endOf('2026-03-13') + 5 * 3_600_000;
      const dates = ['2026-03-12', '2026-03-09', '2026-03-11', '2026-03-10', '2026-03-13'];
      const seenLongAgo = new Map(['2026-03-09', '2026-03-10', '2026-03-12'].map((d) => [d, 0]));
      const d = decideRetention(
        {
          dates,
          batchWatermarkMs: endOf('2026-03-12'),
          isBatchDay,
          coveredSinceMs: seenLongAgo,
          partitionWatermarkMs: now,
          nowMs: now,
        },
        policy,
      );
      expect(d.drop).toEqual([
        { date: '2026-03-09', covered: true },
        { date: '2026-03-10', covered: true },
      ]);
      expect(d.retainFrom).toBe('2026-03-11');
      expect(d.newlyCovered).toEqual([]);

      // once 03-11 is published it is covered like any other day (grace from when it was first seen)
      const filled = (x: string) => isBatchDay(x) || x === '2026-03-11';
      const first = decideRetention(
        {
          dates: dates.filter((x) => x >= '2026-03-11'),
          batchWatermarkMs: endOf('2026-03-12'),
          isBatchDay: filled,
          coveredSinceMs: seenLongAgo,
          partitionWatermarkMs: now,
          nowMs: now,
        },
        policy,
      );
      expect(first.newlyCovered).toEqual(['2026-03-11']);
      expect(first.drop).toEqual([]);
      const later = decideRetention(
        {
          dates: dates.filter((x) => x >= '2026-03-11'),
          batchWatermarkMs: endOf('2026-03-12'),
          isBatchDay: filled,
          coveredSinceMs: new Map([...seenLongAgo, ['2026-03-11', now]]),
          partitionWatermarkMs: now + 3_600_000,
          nowMs: now + 3_600_000,
        },
        policy,
      );
      expect(later.drop).toEqual([
        { date: '2026-03-11', covered: true },
        { date: '2026-03-12', covered: true },
      ]);
      expect(later.retainFrom).toBe('2026-03-13');
    });

    it('lets the hard cap drop a gap day the batch never publishes, as an uncovered drop', () => {
      const wm = startOf('2026-03-19') + 10 * 3_600_000; // cap keeps 03-12 and later
      const d = decideRetention(
        {
          dates: ['2026-03-10', '2026-03-11', '2026-03-12', '2026-03-19'],
          batchWatermarkMs: endOf('2026-03-12'),
          isBatchDay,
          coveredSinceMs: new Map([
            ['2026-03-10', 0],
            ['2026-03-12', wm],
          ]),
          partitionWatermarkMs: wm,
          nowMs: wm,
        },
        policy,
      );
      expect(d.drop).toEqual([
        { date: '2026-03-10', covered: true },
        { date: '2026-03-11', covered: false },
      ]);
      expect(d.retainFrom).toBe('2026-03-12');
    });
  });
});
