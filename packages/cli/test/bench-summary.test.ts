/** bench/results/summary.md rendering (pure: result records → Markdown). */
import { describe, expect, it } from 'vitest';
import {
  SPEC9_FIGURES,
  SPEC9_TARGETS,
  evaluateTarget,
  fmtRatio,
  missingFigures,
  renderSummary,
  shortfall,
  type BenchRecord,
} from '../src/bench-summary.ts';

const run = {
  commit: 'abc123def456',
  machine: '2x CPU, 24 GiB, node v20, host',
  at: '2026-11-23T10:00:00.000Z',
};

const full: Record<string, BenchRecord> = {
  speed: {
    ...run,
    reads_per_s: 52_666,
    raw_consume_reads_per_s: 704_578,
    redis_bound_lua_reads_per_s: 600_000,
    redis_bound_set_ops_per_s: 1_000_000,
    freshness_p50_ms: 11,
    freshness_p99_ms: 141,
    freshness_bound_p99_ms: 20,
    freshness_offered_reads_per_s: 20_012,
    redis_bytes_per_meter_day: 2461,
    redis_meter_key_bytes_per_meter_day: 1640,
    redis_grid_key_bytes_per_meter_day: 796,
    redis_cpu_us_per_read: 4.93,
    redis_commands_per_read: 1.216,
    redis_bound_set_cpu_us_per_op: 2.24,
    quick: false,
  },
  batch: {
    ...run,
    intervals_per_s: 651_954,
    duckdb_bound_intervals_per_s: 96_890_925,
    archive_bytes_per_read: 6.54,
    day_rebuild_s: 14.72,
    meters: 100_000,
    quick: false,
  },
  serve: {
    ...run,
    meter_series_rps: 169,
    meter_series_p99_ms: 2225,
    billing_export_rps: 204,
    trivial_rps: 15_751,
    trivial_p99_ms: 9,
    connections: 64,
    quick: false,
  },
  sim: { ...run, produce_reads_per_s: 142_932, quick: false },
  alerts: { ...run, outage_alert_p99_ms: 40, kafka_produce_consume_p99_ms: 10, quick: false },
};

const results = (over: Record<string, BenchRecord | undefined> = {}): Map<string, BenchRecord> => {
  const m = new Map<string, BenchRecord>();
  for (const [k, v] of Object.entries({ ...full, ...over })) if (v !== undefined) m.set(k, v);
  return m;
};

const target = (file: string, figure: string) =>
  SPEC9_TARGETS.find((t) => t.file === file && t.figure === figure)!;

function rowOf(md: string, startsWith: string): string {
  const row = md.split('\n').find((l) => l.startsWith(`| ${startsWith}`));
  if (row === undefined) throw new Error(`no row starting with ${startsWith}`);
  return row;
}

describe('SPEC 9 targets', () => {
  it('name a figure SPEC 9 fixes for every target, in the file SPEC 9 puts it', () => {
    for (const t of SPEC9_TARGETS) expect(SPEC9_FIGURES[t.file], `${t.file}.${t.figure}`).toContain(t.figure);
  });

  it('compare at-least and at-most targets the right way round, bound ratio = measured / bound', () => {
    const ingest = evaluateTarget(target('speed', 'reads_per_s'), results());
    expect(ingest.met).toBe(false);
    expect(ingest.bounds[0]!.ratio).toBeCloseTo(52_666 / 704_578, 6);
    const fresh = evaluateTarget(target('speed', 'freshness_p99_ms'), results());
    expect(fresh.met).toBe(true);
    expect(fresh.bounds[0]!.ratio).toBeCloseTo(141 / 20, 6);
    const archive = evaluateTarget(target('batch', 'archive_bytes_per_read'), results());
    expect(archive.met).toBe(true);
    const exact = evaluateTarget(
      target('alerts', 'outage_alert_p99_ms'),
      results({ alerts: { ...run, outage_alert_p99_ms: 1000 } }),
    );
    expect(exact.met).toBe(true);
  });

  it('say how far a missed target is', () => {
    expect(shortfall(evaluateTarget(target('speed', 'reads_per_s'), results()))).toBe(
      '52,666 reads/s is 21 % of the 250,000 reads/s target (4.7× short)',
    );
    expect(shortfall(evaluateTarget(target('serve', 'meter_series_p99_ms'), results()))).toBe(
      '2,225 ms is 89× the 25 ms limit',
    );
    expect(shortfall(evaluateTarget(target('speed', 'redis_bytes_per_meter_day'), results()))).toBe(
      '2,461 B is 2.4× the 1,024 B limit',
    );
    expect(fmtRatio(0.00673)).toBe('0.0067');
  });
});

describe('renderSummary', () => {
  const md = renderSummary({ ...run, results: results() });

  it('has one row per target with measured, bound, ratio, met and the run', () => {
    const row = rowOf(md, 'speed layer sustained ingest');
    expect(row).toContain('52,666 reads/s');
    expect(row).toContain('plain Kafka consume of the same topic: 704,578 reads/s');
    expect(row).toContain('0.075');
    expect(row).toContain('**no**');
    expect(row).toContain('speed.json · abc123def456 · 2026-11-23');
    expect(rowOf(md, 'raw archive size')).toMatch(/\| yes \|/);
    expect(rowOf(md, 'last gasp')).toContain('40 ms<br><sub>no other traffic</sub>');
    const loaded = renderSummary({
      ...run,
      results: results({
        alerts: { ...full.alerts, outage_alert_loaded_p99_ms: 1387, loaded_produced_reads_per_s: 13_252 },
      }),
    });
    expect(rowOf(loaded, 'last gasp')).toContain('while history is replayed at 13,252 reads/s: p99 1,387 ms');
    expect(md).toContain(run.machine);
    expect(md).toContain('test/e2e/platform.int.test.ts');
  });

  it('lists every target not met, and only those, with the gap', () => {
    const section = md.split('## Targets not met')[1]!.split('## ')[0]!;
    const items = section.split('\n').filter((l) => l.startsWith('- '));
    expect(items).toHaveLength(7);
    expect(section).toContain('speed layer: Redis server CPU per read: 4.93 µs is 3.3× the 1.5 µs limit');
    expect(section).toContain('speed layer sustained ingest, one process: 52,666 reads/s is 21 %');
    expect(section).toContain('2,225 ms is 89× the 25 ms limit');
    expect(section).toContain('651,954 intervals/s is 65 %');
    expect(section).not.toContain('archive');
    expect(section).not.toContain('last gasp');
  });

  it('marks quick runs and runs that do not measure the target as stated', () => {
    const quickMd = renderSummary({
      ...run,
      results: results({ batch: { ...full.batch, meters: 5000, day_rebuild_s: 0.9, quick: true } }),
    });
    expect(rowOf(quickMd, 'one day of 100,000 meters')).toContain(
      'yes (quick run; 5,000 meters, not 100,000)',
    );
    expect(quickMd).toContain('met, but only on a quick run; 5,000 meters, not 100,000');
    expect(rowOf(quickMd, 'batch rebuild')).toContain('**no** (quick run)');
  });

  it('reports missing result files and figure names', () => {
    const partial = renderSummary({
      ...run,
      results: results({ alerts: undefined, serve: { ...full.serve, trivial_rps: null } }),
    });
    expect(partial).toContain('Missing or null: serve.json: trivial_rps, alerts.json (no result file).');
    expect(partial).toContain(
      'last gasp → outage alert on the SSE stream, p99: not measured (alerts.json missing)',
    );
    expect(missingFigures(results())).toEqual([]);
    expect(md).toContain('Every figure SPEC 9 names is present');
  });

  it('adds the soak section only when soak.json exists', () => {
    expect(md).not.toContain('## Soak');
    const soak: BenchRecord = {
      ...run,
      minutes: 30,
      quick: false,
      meters: 20_000,
      faults: 'all',
      load_s: 1800,
      offered_reads_per_s: 40_000,
      produced_reads_per_s: 39_100,
      groups: 'speed,archiver',
      speed_consumed_reads_per_s: 38_000,
      speed_lag_max: 120_000,
      speed_drain_s: 42,
      archiver_consumed_reads_per_s: 30_000,
      archiver_lag_max: 900_000,
      archiver_drain_s: null,
      processes: 'speed_layer,api',
      speed_layer_rss_start_mb: 300.5,
      speed_layer_rss_end_mb: 310,
      speed_layer_rss_max_mb: 350,
      speed_layer_rss_slope_mb_per_min: 0.12,
      speed_layer_heap_end_mb: 120,
      speed_layer_heap_slope_mb_per_min: 0.01,
      speed_layer_restarts: 0,
      memory_verdict: 'no upward trend: …',
      lag_verdict: 'lag did NOT return to zero within 1800 s after the load (5 messages still behind)',
    };
    const withSoak = renderSummary({ ...run, results: results({ soak }) });
    expect(withSoak).toContain('## Soak');
    expect(withSoak).toContain('offered 40,000 reads/s; produced 39,100 reads/s over 1,800 s');
    expect(withSoak).toContain(
      'speed: consumed 38,000 reads/s during the load; lag max 120,000 messages; back to zero 42 s',
    );
    expect(withSoak).toContain(
      'archiver: consumed 30,000 reads/s during the load; lag max 900,000 messages; back to zero never',
    );
    expect(withSoak).toContain('**no upward trend: …**');
    expect(withSoak).toContain('**lag did NOT return to zero within 1800 s');
    expect(rowOf(withSoak, 'speed_layer')).toBe('| speed_layer | 301 | 310 | 350 | 0.12 | 120 | 0.01 | 0 |');
    expect(rowOf(withSoak, 'api')).toBe('| api | — | — | — | — | — | — | — |');
  });
});
