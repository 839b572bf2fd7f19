/** `ami rebuild` / `ami backfill` say how many reads a finished build found. */
import { describe, expect, it } from 'vitest';
import { resultLine } from '../src/batch.ts';

describe('resultLine', () => {
  it('states the reads of a build-day result, the wait for the archiver and the publication', () => {
    expect(
      resultLine({
        date: '2026-03-10',
        reads: 76_800,
        committed: true,
        version: 'v7',
        archive: { waitedMs: 2_340, flushRequested: true, pendingMessages: 80_000 },
      }),
    ).toBe('2026-03-10: 76,800 reads found (waited 2.3 s for the archiver to flush), published as v7');
    expect(resultLine({ date: '2026-03-10', reads: 0, committed: false, version: 'v7', archive: null })).toBe(
      '2026-03-10: 0 reads found, unchanged (same views as published); no reads in the master dataset for this day',
    );
  });

  it('states the reads of a backfill and the days without any', () => {
    expect(
      resultLine({
        from: '2026-03-01',
        to: '2026-03-03',
        days: 3,
        built: 3,
        reads: 192,
        daysWithoutReads: ['2026-03-03'],
      }),
    ).toBe('backfill 2026-03-01 … 2026-03-03: 192 reads found over 3 day(s); no reads found for 2026-03-03');
  });

  it('says nothing for other results', () => {
    expect(resultLine(null)).toBeNull();
    expect(resultLine({ snapshots: 1 })).toBeNull();
    expect(resultLine({ date: '2026-03-10', transformers: 4 })).toBeNull();
  });
});
