/**
 * infra/grafana: the dashboard JSON is a Grafana 10+ dashboard on the `${DS_PROMETHEUS}` input, and
 * every metric a panel queries exists — with the labels the query selects on — in the registry of
 * the process that exposes it, built with that package's own metric factory. prometheus.yml scrapes
 * each process on its default metrics port.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultOf, loadConfig } from '@ami/shared/config';
import { createMetricsRegistry, type Registry } from '@ami/shared/metrics';
import { createSpeedMetrics, speedLayerSettings } from '@ami/speed-layer';
import {
  archiverSettings,
  batchMetricsSettings,
  createArchiverMetrics,
  createBatchMetrics,
} from '@ami/batch-layer';
import { createApiMetrics } from '@ami/serving-layer';
import { liveMetricsRegistry } from '@ami/simulator';
import type { LiveStatus } from '@ami/simulator';
import { upSettings } from '@ami/cli/platform';

const GRAFANA = new URL('../../infra/grafana/', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('ami-platform.json', GRAFANA), 'utf8')) as Dashboard;
const prometheusYml = readFileSync(new URL('prometheus.yml', GRAFANA), 'utf8');

interface Target {
  readonly expr: string;
  readonly refId: string;
  readonly datasource?: { type: string; uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: readonly Target[];
}
interface Dashboard {
  readonly __inputs: readonly { name: string; type: string; pluginId: string }[];
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
}

type Process = 'speed-layer' | 'archiver' | 'batch-worker' | 'serving-layer' | 'simulator';

/** Each process's registry as its main.ts builds it (service label, default Node metrics). */
function registries(): Record<Process, Registry> {
  const speed = createMetricsRegistry('speed-layer');
  createSpeedMetrics(speed);
  const archiver = createMetricsRegistry('archiver');
  createArchiverMetrics(archiver);
  const batch = createMetricsRegistry('batch-worker');
  createBatchMetrics(batch);
  const api = createMetricsRegistry('serving-layer');
  createApiMetrics(api, { seq: 0 });
  const status: LiveStatus = { simClockMs: 0, wallMs: 0, lagMs: 0, reads: 0, events: 0, paced: false };
  const sim = liveMetricsRegistry(() => status);
  return { 'speed-layer': speed, archiver, 'batch-worker': batch, 'serving-layer': api, simulator: sim };
}

/** Which process owns a metric by its prefix (default Node metrics: every process). */
function ownersOf(metric: string): readonly Process[] | 'all' {
  if (metric.startsWith('ami_speed_')) return ['speed-layer'];
  if (metric.startsWith('ami_archiver_')) return ['archiver'];
  if (metric.startsWith('ami_batch_')) return ['batch-worker'];
  if (metric.startsWith('ami_api_')) return ['serving-layer'];
  if (metric.startsWith('ami_sim_')) return ['simulator'];
  return 'all';
}

/** Exposed series names → label names, of one registry (histograms: _bucket/_sum/_count, + le). */
async function exposed(registry: Registry): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const m of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: readonly string[] };
    const labels = new Set(['service', 'job', 'instance', ...(metric.labelNames ?? [])]);
    if (String(m.type) === 'histogram') {
      out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    } else if (String(m.type) === 'summary') {
      out.set(m.name, new Set([...labels, 'quantile']));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    } else out.set(m.name, labels);
  }
  return out;
}

/** PromQL words the dashboard may use that are not metric names. */
const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'increase',
  'histogram_quantile',
  'time',
  'by',
  'without',
  'and',
  'or',
  'unless',
]);
/** Prometheus' own series (not in any process registry). */
const PROMETHEUS_SERIES = new Set(['up']);

interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** Metric names of an expression with the labels each selects on, and the `by (...)` labels. */
function parseExpr(expr: string): { selectors: Selector[]; groupBy: string[] } {
  const withoutRanges = expr.replace(/\[[^\]]*\]/g, '');
  const selectors: Selector[] = [];
  const groupBy: string[] = [];
  for (const m of withoutRanges.matchAll(/\b(by|without)\s*\(([^)]*)\)/g))
    groupBy.push(
      ...m[2]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const stripped = withoutRanges.replace(/\b(by|without)\s*\([^)]*\)/g, ' ');
  for (const m of stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/g)) {
    const word = m[1]!;
    if (PROMQL_WORDS.has(word) || /^\d/.test(word)) continue;
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    selectors.push({ metric: word, labels });
  }
  return { selectors, groupBy };
}

const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

describe('infra/grafana/ami-platform.json', () => {
  it('is a Grafana 10+ dashboard whose queries all use the ${DS_PROMETHEUS} input', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38); // Grafana 10.0
    expect(dashboard.uid).toBe('ami-platform');
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? [])
        expect(t.datasource, `${p.title} ${t.refId}`).toEqual({
          type: 'prometheus',
          uid: '${DS_PROMETHEUS}',
        });
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('has the panels operators need', () => {
    const exprs = (title: RegExp) =>
      queryPanels
        .filter((p) => title.test(p.title))
        .flatMap((p) => (p.targets ?? []).map((t) => t.expr))
        .join('\n');
    expect(exprs(/^Ingest rate$/)).toContain('ami_speed_reads_applied_total');
    expect(exprs(/^Consumer lag/)).toMatch(/ami_speed_consumer_lag[\s\S]*ami_archiver_lag_messages/);
    expect(exprs(/^Freshness/)).toMatch(/histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.99,/);
    expect(exprs(/^DLQ and quarantine/)).toMatch(/ami_speed_dlq_total[\s\S]*ami_archiver_quarantined_total/);
    expect(exprs(/^Batch job durations$/)).toContain('ami_batch_job_duration_seconds_bucket');
    expect(exprs(/^Watermark age$/)).toContain('ami_batch_watermark_age_seconds');
    expect(exprs(/^API latency p50 \/ p99$/)).toMatch(
      /0\.5,[\s\S]*0\.99,[\s\S]*ami_api_request_duration_seconds_bucket/,
    );
    expect(exprs(/^API request rate$/)).toContain('ami_api_request_duration_seconds_count');
  });

  it('queries only metrics (and labels) the owning process exposes', async () => {
    const regs = registries();
    const byProcess = Object.fromEntries(
      await Promise.all(Object.entries(regs).map(async ([p, r]) => [p, await exposed(r)] as const)),
    ) as Record<Process, Map<string, Set<string>>>;
    const problems: string[] = [];
    let checked = 0;
    for (const p of queryPanels)
      for (const t of p.targets ?? []) {
        const { selectors, groupBy } = parseExpr(t.expr);
        expect(selectors.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        const labelsInExpr = new Set<string>();
        for (const s of selectors) {
          if (PROMETHEUS_SERIES.has(s.metric)) {
            for (const l of ['job', 'instance']) labelsInExpr.add(l);
            continue;
          }
          const owners = ownersOf(s.metric);
          const processes = owners === 'all' ? (Object.keys(byProcess) as Process[]) : owners;
          for (const proc of processes) {
            checked++;
            const labels = byProcess[proc].get(s.metric);
            if (!labels) {
              problems.push(`${p.title}: ${s.metric} is not exposed by ${proc}`);
              continue;
            }
            for (const l of labels) labelsInExpr.add(l);
            for (const l of s.labels)
              if (!labels.has(l)) problems.push(`${p.title}: ${s.metric} has no label ${l} (${proc})`);
          }
        }
        for (const l of groupBy)
          if (!labelsInExpr.has(l)) problems.push(`${p.title}: grouped by ${l}, which no queried metric has`);
      }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('catches a metric name that no process exposes (the check can fail)', async () => {
    const speed = await exposed(registries()['speed-layer']);
    const { selectors } = parseExpr('sum by (topic) (rate(ami_speed_consumer_lags{topic="x"}[5m]))');
    expect(selectors).toEqual([{ metric: 'ami_speed_consumer_lags', labels: ['topic'] }]);
    expect(speed.has('ami_speed_consumer_lags')).toBe(false);
    expect(speed.get('ami_speed_freshness_seconds_bucket')?.has('le')).toBe(true);
  });
});

describe('infra/grafana/prometheus.yml', () => {
  /** job_name → targets, from the file's plain layout. */
  const jobs = new Map<string, string[]>();
  for (const block of prometheusYml.split(/^\s*- job_name:/m).slice(1)) {
    const name = /^\s*(\S+)/.exec(block)?.[1];
    const targets = [...block.matchAll(/targets:\s*\[([^\]]*)\]/g)].flatMap((m) =>
      m[1]!.split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')),
    );
    if (name) jobs.set(name, targets);
  }

  it('scrapes every process on its default metrics port', () => {
    const port = (s: Parameters<typeof defaultOf>[0]) => defaultOf(s, {});
    expect(Object.fromEntries(jobs)).toEqual({
      'ami-speed-layer': [`127.0.0.1:${port(speedLayerSettings.metricsPort)}`],
      'ami-archiver': [`127.0.0.1:${port(archiverSettings.metricsPort)}`],
      'ami-batch-worker': [`127.0.0.1:${port(batchMetricsSettings.port)}`],
      'ami-api': [`127.0.0.1:${loadConfig({}).connection.apiPort}`],
      'ami-simulator': [`127.0.0.1:${port(upSettings.simMetricsPort)}`],
    });
    const ports = [...jobs.values()].flat();
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('names jobs as the dashboard filters them', () => {
    const upPanel = queryPanels.find((p) => (p.targets ?? []).some((t) => t.expr.startsWith('up{')));
    const re = /job=~"([^"]+)"/.exec(upPanel?.targets?.[0]?.expr ?? '')?.[1];
    expect(re).toBeDefined();
    for (const job of jobs.keys()) expect(new RegExp(`^(?:${re})$`).test(job), job).toBe(true);
  });
});
