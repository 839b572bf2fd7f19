import { describe, expect, it } from 'vitest';
import { DAILY_VIEWS, MONTHLY_VIEWS, type ViewEntry } from '@ami/shared/catalog';
import { computeWatermark, publishedDays } from '../../src/catalog/watermark.ts';

const TZ = 'Europe/Stockholm';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('computeWatermark', () => {
  it('is null when nothing is published', () => {
    expect(computeWatermark([], TZ)).toEqual({
      watermarkMs: null,
      firstPublishedDay: null,
      lastContiguousDay: null,
    });
  });

  it('is the start of the local day after the last contiguous day', () => {
    const w = computeWatermark(['2026-01-12', '2026-01-10', '2026-01-11'], TZ);
    expect(w.firstPublishedDay).toBe('2026-01-10');
    expect(w.lastContiguousDay).toBe('2026-01-12');
    // 2026-01-13 00:00 in Stockholm (UTC+1)
    expect(iso(w.watermarkMs)).toBe('2026-01-12T23:00:00.000Z');
  });

  it('never goes back for an isolated old day: 2026-02-10 published after March keeps 2026-04-01', () => {
    const march = Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`);
    const before = computeWatermark(march, TZ);
    // 2026-04-01 00:00 in Stockholm (CEST, UTC+2)
    expect(iso(before.watermarkMs)).toBe('2026-03-31T22:00:00.000Z');
    const after = computeWatermark([...march, '2026-02-10'], TZ);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ firstPublishedDay: '2026-03-01', lastContiguousDay: '2026-03-31' });
  });

  it('moves forward over a forward gap: the newest run holds the latest published day', () => {
    const w = computeWatermark(['2026-01-10', '2026-01-11', '2026-01-13', '2026-01-14'], TZ);
    expect(w).toMatchObject({ firstPublishedDay: '2026-01-13', lastContiguousDay: '2026-01-14' });
    expect(iso(w.watermarkMs)).toBe('2026-01-14T23:00:00.000Z');
    const filled = computeWatermark(
      ['2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13', '2026-01-14'],
      TZ,
    );
    expect(filled).toMatchObject({ firstPublishedDay: '2026-01-10', lastContiguousDay: '2026-01-14' });
    expect(filled.watermarkMs).toBe(w.watermarkMs);
  });

  it('keeps the watermark when a day inside a gap is published, and never moves it back', () => {
    const base = ['2026-01-01', '2026-01-02', '2026-01-20', '2026-01-21'];
    const w = computeWatermark(base, TZ);
    expect(w.lastContiguousDay).toBe('2026-01-21');
    const inGap = computeWatermark([...base, '2026-01-10'], TZ);
    expect(inGap).toEqual(w);
    const joining = computeWatermark([...base, '2026-01-19'], TZ);
    expect(joining).toMatchObject({ firstPublishedDay: '2026-01-19', lastContiguousDay: '2026-01-21' });
    expect(joining.watermarkMs).toBe(w.watermarkMs);
    // whatever day is added, the watermark is never earlier than before
    let days = ['2026-01-15'];
    let last = computeWatermark(days, TZ).watermarkMs!;
    for (const d of ['2026-01-03', '2026-01-14', '2026-01-17', '2026-01-16', '2025-12-31', '2026-01-25']) {
      days = [...days, d];
      const next = computeWatermark(days, TZ).watermarkMs!;
      expect(next).toBeGreaterThanOrEqual(last);
      last = next;
    }
    expect(computeWatermark(days, TZ).lastContiguousDay).toBe('2026-01-25');
  });

  it('follows runs across month and year ends and ignores duplicates', () => {
    const w = computeWatermark(['2025-12-31', '2026-01-01', '2025-12-30', '2026-01-01'], TZ);
    expect(w.firstPublishedDay).toBe('2025-12-30');
    expect(w.lastContiguousDay).toBe('2026-01-01');
  });

  it('ends a short (23 h) spring DST day at the right instant', () => {
    // 2026-03-29: clocks go 02:00 → 03:00 in Stockholm; next day starts at 00:00 CEST = 22:00Z
    const w = computeWatermark(['2026-03-28', '2026-03-29'], TZ);
    expect(iso(w.watermarkMs)).toBe('2026-03-29T22:00:00.000Z');
    const before = computeWatermark(['2026-03-28'], TZ);
    expect(iso(before.watermarkMs)).toBe('2026-03-28T23:00:00.000Z');
    expect((w.watermarkMs ?? 0) - (before.watermarkMs ?? 0)).toBe(23 * 3600_000);
  });

  it('ends a long (25 h) autumn DST day at the right instant', () => {
    const w = computeWatermark(['2026-10-24', '2026-10-25'], TZ);
    expect(iso(w.watermarkMs)).toBe('2026-10-25T23:00:00.000Z');
    const before = computeWatermark(['2026-10-24'], TZ);
    expect((w.watermarkMs ?? 0) - (before.watermarkMs ?? 0)).toBe(25 * 3600_000);
  });

  it('rejects invalid dates', () => {
    expect(() => computeWatermark(['2026-02-30'], TZ)).toThrow(RangeError);
  });
});

describe('publishedDays', () => {
  const entry = (ids: string[]): ViewEntry => ({
    version: 'v1',
    updatedAt: '2026-01-01T00:00:00Z',
    partitions: Object.fromEntries(
      ids.map((id) => [
        id,
        {
          version: 'v1',
          publishedAt: '2026-01-01T00:00:00Z',
          buildId: 'b',
          contentHash: '0'.repeat(64),
          rows: 0,
          bytes: 0,
          files: [],
        },
      ]),
    ),
  });

  it('counts a day only when every daily view has it and every monthly view has its month', () => {
    const views: Record<string, ViewEntry> = {};
    for (const v of DAILY_VIEWS) views[v] = entry(['date=2026-01-30', 'date=2026-01-31', 'date=2026-02-01']);
    for (const v of MONTHLY_VIEWS) views[v] = entry(['month=2026-01']);
    expect(publishedDays(views)).toEqual(['2026-01-30', '2026-01-31']);
    // one daily view lacking a day removes it
    views.grid_daily = entry(['date=2026-01-31']);
    expect(publishedDays(views)).toEqual(['2026-01-31']);
    expect(publishedDays({})).toEqual([]);
  });
});
