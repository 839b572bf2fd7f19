import { describe, expect, it } from 'vitest';
import { localDayBounds } from '@ami/shared/time';
import { PartitionWatermarks, isBeyondRetention } from '../src/watermark.ts';

const TZ = 'Europe/Stockholm';

describe('PartitionWatermarks', () => {
  it('is max event time minus lateness per partition, and restores from durable state', () => {
    const w = new PartitionWatermarks({ allowedLatenessMs: 600_000, idleTimeoutMs: 60_000 });
    expect(w.partitionWatermark(0)).toBe(-Infinity);
    w.observe(0, 10_000_000, 0);
    w.observe(0, 5_000_000, 1);
    expect(w.partitionWatermark(0)).toBe(9_400_000);
    w.restore(1, 2_000_000, 0);
    expect(w.maxEventMs(1)).toBe(2_000_000);
    w.forget(1);
    expect(w.has(1)).toBe(false);
  });

  it('ignores idle partitions in the global watermark (Flink idleness)', () => {
    const w = new PartitionWatermarks({ allowedLatenessMs: 0, idleTimeoutMs: 1000 });
    w.observe(0, 100_000, 0);
    w.observe(1, 50_000, 0);
    expect(w.globalWatermark(500)).toBe(50_000);
    w.observe(0, 200_000, 1500);
    expect(w.globalWatermark(1600)).toBe(200_000);
    expect(w.globalWatermark(10_000)).toBe(200_000);
  });

  it('bounds alert windows by the listed (lagging) events partitions only', () => {
    const w = new PartitionWatermarks({ allowedLatenessMs: 0, idleTimeoutMs: 1000 });
    expect(w.minimumOver([0, 1])).toBe(Infinity); // nothing seen yet: no bound
    w.observe(0, 100_000, 0);
    w.observe(1, 50_000, 0);
    expect(w.minimumOver([0, 1])).toBe(50_000);
    expect(w.minimumOver([0])).toBe(100_000); // partition 1 caught up: its old last event says nothing
    expect(w.minimumOver([])).toBe(Infinity);
  });
});

describe('isBeyondRetention', () => {
  it('keeps the watermark day and the N days before it', () => {
    const wm = localDayBounds('2025-03-10', TZ).startMs + 3_600_000;
    expect(isBeyondRetention(localDayBounds('2025-03-03', TZ).startMs, wm, 7, TZ)).toBe(false);
    expect(isBeyondRetention(localDayBounds('2025-03-03', TZ).startMs - 1, wm, 7, TZ)).toBe(true);
    expect(isBeyondRetention(0, -Infinity, 7, TZ)).toBe(false);
  });
});
