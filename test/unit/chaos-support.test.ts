/**
 * The chaos suite's own judges (test/chaos/support): they must see a partial publication and count
 * a read once whatever arrives twice — otherwise the suite could not fail.
 */
import { describe, expect, it } from 'vitest';
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  datePartition,
  monthPartition,
  type CatalogSnapshot,
  type PartitionEntry,
} from '@ami/shared/catalog';
import { snapshotProblems } from '../chaos/support/catalog.ts';
import { ProducedReads, diffViews } from '../chaos/support/expected.ts';
import { expectedFromTruth, runSimulation } from '@ami/speed-layer/testing';

const TZ = 'Europe/Stockholm';

function entry(rows: number): PartitionEntry {
  return {
    version: 'v1',
    publishedAt: '2026-11-20T00:00:00Z',
    buildId: 'b',
    contentHash: '0'.repeat(64),
    rows,
    bytes: 1,
    files: [],
  };
}

function snapshot(
  days: Record<string, { meters: number; intervals: number }>,
  skip: string[] = [],
): CatalogSnapshot {
  const views: CatalogSnapshot['views'] = {};
  for (const view of [...DAILY_VIEWS, ...MONTHLY_VIEWS]) {
    const partitions: Record<string, PartitionEntry> = {};
    for (const [date, d] of Object.entries(days)) {
      if (skip.includes(`${view}/${date}`)) continue;
      const id = DAILY_VIEWS.includes(view) ? datePartition(date) : monthPartition(date.slice(0, 7));
      partitions[id] = entry(view === 'intervals_validated' ? d.intervals : d.meters);
    }
    views[view] = { version: 'v1', updatedAt: '2026-11-20T00:00:00Z', partitions };
  }
  return {
    format: 1,
    seq: 7,
    parent: null,
    committedAt: '2026-11-20T00:00:00Z',
    timeZone: TZ,
    watermark: null,
    firstPublishedDay: null,
    lastContiguousDay: null,
    cause: 'test',
    views,
  };
}

describe('snapshotProblems (no partial publication)', () => {
  it('accepts complete days, with extra rows of unknown meters', () => {
    expect(snapshotProblems(snapshot({ '2026-11-17': { meters: 60, intervals: 62 * 96 } }), TZ)).toEqual([]);
    // 2026-10-25 has 100 intervals (DST ends)
    expect(snapshotProblems(snapshot({ '2026-10-25': { meters: 2, intervals: 200 } }), TZ)).toEqual([]);
  });

  it('names a day missing from one view, and a day with missing interval rows', () => {
    expect(
      snapshotProblems(
        snapshot({ '2026-11-17': { meters: 60, intervals: 5760 } }, ['grid_15m/2026-11-17']),
        TZ,
      ),
    ).toEqual(['v7: 2026-11-17 is published without grid_15m']);
    expect(snapshotProblems(snapshot({ '2026-11-17': { meters: 60, intervals: 5759 } }), TZ)).toEqual([
      'v7: 2026-11-17 has 5759 validated intervals for 60 meters of 96 intervals',
    ]);
    expect(snapshotProblems(snapshot({ '2026-11-17': { meters: 60, intervals: 59 * 96 } }), TZ)).toHaveLength(
      1,
    );
  });
});

describe('ProducedReads (what the platform must show)', () => {
  it('counts duplicates once, keeps the winning correction, ignores invalid messages and unknown meters', async () => {
    const run = await runSimulation({
      meters: 5,
      days: 1,
      startDate: '2026-03-10',
      seed: 3,
      faults: {
        duplicate: 0.2,
        correction: 0.2,
        malformed_json: 0.05,
        unknown_meter: 0.05,
        out_of_range: 0.05,
      },
    });
    const produced = new ProducedReads(run.topology, TZ);
    for (const m of run.reads) produced.add(m.value, Date.now());
    expect(produced.latest.size).toBe(5 * 96);
    // The reads' winners are the truth (corrections win over the wrong first value).
    const fromTruth = expectedFromTruth(run);
    expect(diffViews(fromTruth, produced.view(run)).count).toBe(0);
    // Half the stream: the intervals not produced yet (and corrections not arrived) differ.
    const half = new ProducedReads(run.topology, TZ);
    for (const m of run.reads.slice(0, run.reads.length / 2)) half.add(m.value, Date.now());
    const d = diffViews(fromTruth, half.view(run));
    expect(d.count).toBeGreaterThan(0);
    expect(d.compared).toBeGreaterThan(0);
  });
});
