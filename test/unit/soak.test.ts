/** The soak run's pure parts: options, memory trend arithmetic, verdicts, procfs and /metrics parsing. */
import { describe, expect, it } from 'vitest';
import {
  lagVerdict,
  memoryVerdict,
  processFigures,
  restartsFromPids,
  slope,
  summarizeMemory,
} from '../soak/analysis.ts';
import { historyDays, parseSoakArgs } from '../soak/options.ts';
import { parseGauge, parseVmRssMb } from '../soak/probes.ts';

describe('parseSoakArgs', () => {
  it('defaults to 30 minutes at 2 × the 20,000 reads/s design peak', () => {
    const o = parseSoakArgs([]);
    expect(o).toMatchObject({ minutes: 30, rate: 40_000, meters: 20_000, faults: 'all', sampleS: 5 });
    expect(o).toMatchObject({ maxSlopeMbPerMin: 1, drainMinutes: 30, archiverFlushAgeS: 60, keep: false });
  });
  it('reads the flags and rejects bad values', () => {
    const o = parseSoakArgs(['--minutes', '3', '--rate', '1000', '--faults', 'none', '--keep']);
    expect(o).toMatchObject({ minutes: 3, rate: 1000, faults: 'none', keep: true, drainMinutes: 10 });
    expect(() => parseSoakArgs(['--minutes', '0'])).toThrow(/--minutes must be a positive/);
    expect(() => parseSoakArgs(['--rate', '1.5'])).toThrow(/--rate must be a positive integer/);
    expect(() => parseSoakArgs(['--faults', 'some'])).toThrow(/--faults must be all or none/);
    expect(() => parseSoakArgs(['--nope'])).toThrow();
  });
  it('replays enough history for the whole load', () => {
    const o = { minutes: 30, rate: 40_000, meters: 20_000 };
    const days = historyDays(o);
    expect((days - 1) * o.meters * 97).toBeGreaterThanOrEqual(o.rate * o.minutes * 60);
  });
});

describe('memory trend', () => {
  it('slope is the least-squares slope per minute', () => {
    expect(slope([0, 1, 2, 3].map((t) => ({ tMin: t, value: 100 + 2 * t })))).toBeCloseTo(2, 10);
    expect(
      slope([
        { tMin: 0, value: 1 },
        { tMin: 1, value: 2 },
      ]),
    ).toBeNull();
    expect(slope([0, 0, 0].map((t) => ({ tMin: t, value: t })))).toBeNull();
  });

  it('summarizes the load: start, end, max including the drain, slope over the second half only', () => {
    // steep warm-up in the first half, flat in the second, a spike during the drain
    const series = [
      { tMin: -0.5, value: 50 },
      ...[0, 1, 2, 3, 4].map((t) => ({ tMin: t, value: 100 + 50 * t })),
      ...[5, 6, 7, 8, 9, 10].map((t) => ({ tMin: t, value: 300 + (t % 2) })),
      { tMin: 11, value: 400 },
    ];
    const s = summarizeMemory(series, 10);
    expect(s).toMatchObject({ start: 100, end: 300, max: 400 });
    expect(Math.abs(s.slopePerMin!)).toBeLessThan(0.2);
  });

  it('verdicts name the processes over the threshold', () => {
    const ok = memoryVerdict(
      new Map([
        ['speed-layer', 0.4],
        ['api', -0.1],
      ]),
      1,
      30,
    );
    expect(ok).toMatch(/^no upward trend: .*largest: speed-layer 0\.40 MB\/min/);
    const bad = memoryVerdict(
      new Map([
        ['speed-layer', 0.4],
        ['archiver', 3.21],
        ['api', null],
      ]),
      1,
      30,
    );
    expect(bad).toMatch(/^UPWARD TREND: archiver \+3\.21 MB\/min/);
    expect(bad).toContain('too few samples for api');
    expect(bad).not.toContain('short run');
    expect(memoryVerdict(new Map([['api', 5]]), 1, 3)).toMatch(
      /^UPWARD TREND: api .* — short run \(3\.0 min\): the second half is still warm-up/,
    );
    expect(lagVerdict(41.6, 0, 42)).toBe('lag returned to zero in 42 s');
    expect(lagVerdict(null, 12_345, 600)).toBe(
      'lag did NOT return to zero within 600 s after the load (12,345 messages still behind)',
    );
  });

  it('counts restarts from pid changes and names figures per process', () => {
    expect(restartsFromPids([10, 10, undefined, 10, 11, 11, 12])).toBe(2);
    const f = processFigures('batch-worker', {
      rss: { start: 100.04, end: 120, max: 130, slopePerMin: 0.1234 },
      heap: { start: null, end: null, max: null, slopePerMin: null },
      restarts: 1,
    });
    expect(f).toMatchObject({
      batch_worker_rss_start_mb: 100,
      batch_worker_rss_slope_mb_per_min: 0.12,
      batch_worker_heap_end_mb: null,
      batch_worker_restarts: 1,
    });
  });
});

describe('probes', () => {
  it('reads VmRSS from /proc/<pid>/status', () => {
    expect(parseVmRssMb('Name:\tnode\nVmPeak:\t 9 kB\nVmRSS:\t  204800 kB\nThreads:\t11\n')).toBe(200);
    expect(parseVmRssMb('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });
  it('reads a gauge from Prometheus text, with or without labels', () => {
    const text = [
      '# HELP ami_nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
      '# TYPE ami_nodejs_heap_size_used_bytes gauge',
      'ami_nodejs_heap_size_used_bytes_total 5',
      'ami_nodejs_heap_size_used_bytes{service="speed-layer"} 52428800',
      'ami_up 1',
    ].join('\n');
    expect(parseGauge(text, 'ami_nodejs_heap_size_used_bytes')).toBe(52_428_800);
    expect(parseGauge(text, 'ami_up')).toBe(1);
    expect(parseGauge(text, 'ami_missing')).toBeNull();
  });
});
