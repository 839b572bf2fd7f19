/** Bench helpers (pure): latency percentiles with lost samples, and the SSE block parser. */
import { describe, expect, it } from 'vitest';
import { nearestRank, summarizeLatencies } from '../bench/lib/latency.ts';
import { splitSseBlocks } from '../bench/lib/sse.ts';

describe('summarizeLatencies', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarizeLatencies(values)).toEqual({ samples: 100, missing: 0, p50: 50, p99: 99, max: 100 });
    expect(nearestRank([5], 0.99)).toBe(5);
    expect(nearestRank([], 0.5)).toBeNull();
  });
  it('counts a sample that never arrived as infinitely late', () => {
    const values: (number | undefined)[] = Array.from({ length: 100 }, (_, i) => i + 1);
    values[0] = undefined;
    expect(summarizeLatencies(values)).toMatchObject({ missing: 1, p99: 100, max: null });
    values[1] = undefined;
    expect(summarizeLatencies(values)).toMatchObject({ missing: 2, p99: null, p50: 52 });
  });
});

describe('splitSseBlocks', () => {
  it('splits events and comments and keeps the incomplete rest', () => {
    const { blocks, rest } = splitSseBlocks(
      ': connected\n\nid: 1-0\nevent: opened\ndata: {"type":"TRANSFORMER_OUTAGE"}\n\nid: 2-0\nevent: cle',
    );
    expect(blocks).toEqual([
      { comment: 'connected' },
      { id: '1-0', event: 'opened', data: '{"type":"TRANSFORMER_OUTAGE"}' },
    ]);
    expect(rest).toBe('id: 2-0\nevent: cle');
    expect(splitSseBlocks(rest + 'ared\ndata: a\ndata: b\n\n').blocks).toEqual([
      { id: '2-0', event: 'cleared', data: 'a\nb' },
    ]);
  });
});
