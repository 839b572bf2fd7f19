/**
 * The dashboard in headless Chromium (Debian's chromium driven by playwright-core) against the
 * real platform path: the live simulator process (100 meters; one day as history, then the
 * recent day — today, or yesterday in the first two hours of today — paced fast up to the wall
 * clock) → Kafka → the speed-layer process (realtime view + alert engine) and the archiver → the
 * history day built and published by the real day builder → the API (in-process, real
 * Redis/MinIO/DuckDB, listening on a port) → the page.
 *
 * Checks that what the page shows is what the API answers (receipt rates, load chart point counts
 * per status and the batch watermark line, every heat-map cell), then takes a transformer down
 * through the simulator's control port and waits for the TRANSFORMER_OUTAGE alert to arrive in
 * the alerts panel over the SSE stream the page opened before the outage. A screenshot is saved to
 * test-artifacts/dashboard.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TopologyRow } from '@ami/shared/contracts';
import { loadValidationConfig } from '@ami/shared/contracts';
import { createKafka, createRedis, createS3, openDuckDB } from '@ami/shared/clients';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { createLogger } from '@ami/shared/log';
import { localDate, localDayBounds } from '@ami/shared/time';
import { loadTopologyRows } from '@ami/shared/topology-file';
import { ensureChromium } from '@ami/infra';
import { Archiver, loadArchiverSettings } from '@ami/batch-layer';
import {
  PARTITIONS,
  TZ,
  batchScenario,
  createTopics,
  groupOffsets,
  testBuilder,
  waitFor,
  type TestBuilder,
} from '@ami/batch-layer/testing';
import { featureRoutes } from '../src/app.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix } from './support/catalog.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'dashboard.png');
const METERS = 100;
const OUTAGE_TX = 'TX-00001';

interface Child {
  readonly proc: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, stderr: () => err, exited };
}

async function stopProcess(c: Child | undefined): Promise<void> {
  if (c === undefined || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const killer = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(killer);
}

/** Retries `check` (which throws while not yet true) until it passes or `timeoutMs` runs out. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`timed out waiting for ${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** A DOM read in the page (an expression string: the test has no DOM typings). */
const dom = <T>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);

interface SimStatus {
  sim_clock: string;
  lag_s: number;
}
interface Overview {
  window_start: string;
  feeders: {
    feeder_id: string;
    receipt_rate: number | null;
    meters_reported: number;
    meters_total: number | null;
  }[];
}
interface SeriesBody {
  watermark: string | null;
  points: { kwh: number | null; status: 'authoritative' | 'provisional' | 'missing' }[];
}
interface VoltageBody {
  windows: { start: string }[];
  transformers: { transformer_id: string; cells: { avg: number | null }[] }[];
}

describe('dashboard in headless Chromium over the live platform', () => {
  const s = batchScenario('dash');
  const tag = s.id.replace(/[^A-Za-z0-9]/g, '');
  const speedPrefix = `rv${tag}`.slice(0, 32);
  const alertPrefix = `al${tag}`.slice(0, 32);
  const dir = mkdtempSync(join(tmpdir(), 'ami-dashboard-it-'));
  const topologyFile = join(dir, 'topology.jsonl');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...inject('infraEnv'),
    ...s.overrides,
    AMI_TOPIC_ALERTS_GRID: `${s.id}.alerts.grid`,
    AMI_TOPIC_ALERTS_EVENTS: `${s.id}.alerts.events`,
    AMI_TOPIC_RESTATEMENTS: `${s.id}.restatements`,
    AMI_SPEED_GROUP_ID: `${s.id}-speed`,
    AMI_SPEED_KEY_PREFIX: speedPrefix,
    AMI_SPEED_METRICS_PORT: '0',
    AMI_ALERT_KEY_PREFIX: alertPrefix,
    AMI_TOPOLOGY_FILE: topologyFile,
  };
  const s3 = createS3(s.config);
  const redis = createRedis(s.config, { connectionName: 'dashboard-it' });
  // the recent (provisional) day has at least two hours of data; the day before it is published
  const recentDay = localDate(Date.now() - 2 * 3_600_000, TZ);
  const recentStartMs = localDayBounds(recentDay, TZ).startMs;
  const builtDay = localDate(recentStartMs - 1, TZ);
  const builtHours = (recentStartMs - localDayBounds(builtDay, TZ).startMs) / 3_600_000;
  let sim: Child | undefined;
  let speed: Child | undefined;
  let control = '';
  let topology: TopologyRow[] = [];
  let tb: TestBuilder | undefined;
  let deps: TestDeps | undefined;
  let api: TestApi | undefined;
  let base = '';
  let browser: Browser | undefined;
  let page: Page;

  const simStatus = async (): Promise<SimStatus> =>
    (await fetch(`${control}/status`)).json() as Promise<SimStatus>;
  const apiGet = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers: { 'x-api-key': api!.keys.dashboard } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    const chromiumPath = await ensureChromium();
    await createTopics(createKafka(s.config), s.config);

    // the live simulator: the built day as history, the recent day paced (fast) up to the wall clock
    const speedup = Math.min(1_000_000, Math.max(60, Math.ceil((Date.now() - recentStartMs) / 8_000)));
    sim = startProcess(
      'packages/simulator/src/main.ts',
      [
        '--to',
        'kafka',
        '--live',
        '--meters',
        String(METERS),
        '--seed',
        '11',
        '--start',
        builtDay,
        '--paced-from',
        recentDay,
        '--speedup',
        String(speedup),
        '--control-port',
        '0',
        '--topology-out',
        topologyFile,
      ],
      env,
    );
    await waitFor(
      'the simulator control port',
      () =>
        Promise.resolve(
          /ami sim: control (http:\/\/127\.0\.0\.1:\d+)/.test(sim!.stderr()) || sim!.proc.exitCode !== null,
        ),
      60_000,
    );
    const m = /ami sim: control (http:\/\/127\.0\.0\.1:\d+)/.exec(sim.stderr());
    if (m === null) throw new Error(`simulator exited: ${sim.stderr()}`);
    control = m[1]!;
    expect(existsSync(topologyFile)).toBe(true);
    topology = await loadTopologyRows(topologyFile);
    speed = startProcess('packages/speed-layer/src/main.ts', [], env);

    // archive the built day (all of it is produced once the simulated clock is past the next 00:10)
    await waitFor(
      'the simulator to pass midnight',
      async () => Date.parse((await simStatus()).sim_clock) >= recentStartMs + 600_000,
      60_000,
    );
    const kafka = createKafka(s.config, { logger: createLogger('dashboard-it-kafka', { level: 'silent' }) });
    const topics = [s.config.topics.reads, s.config.topics.events];
    const ends = new Map(
      [...(await groupOffsets(kafka, topics, 'nobody')).entries()].map(([k, v]) => [k, v.end]),
    );
    const archiverDb = await openDuckDB({ threads: 1 });
    const settings = loadArchiverSettings(s.overrides);
    const archiver = new Archiver({
      kafka,
      s3,
      redis,
      db: archiverDb,
      config: s.config,
      settings,
      validation: loadValidationConfig({}),
      eventCodes: defaultEventCodeTable,
      logger: createLogger('dashboard-it-archiver', { level: 'warn' }),
    });
    await archiver.start();
    try {
      await waitFor(
        'the archiver to commit the built day',
        async () =>
          [...(await groupOffsets(kafka, topics, settings.groupId)).entries()].every(
            ([k, o]) => o.committed >= (ends.get(k) ?? 0),
          ),
        90_000,
      );
    } finally {
      await archiver.stop();
      archiverDb.closeSync();
    }
    tb = await testBuilder(s, s3, topology);
    expect((await tb.builder.buildDay({ date: builtDay, cause: 'backfill' })).committed).toBe(true);

    // the API on a real port, over the speed layer's realtime view and alert store
    deps = await realDeps(s.config, `it/${s.id}/`);
    api = await buildTestApi({
      deps: {
        ...deps.deps,
        realtimePrefix: speedPrefix,
        partitions: PARTITIONS,
        alertKeyPrefix: alertPrefix,
      },
      routes: featureRoutes,
    });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;

    await waitFor(
      'the simulator to catch up with the wall clock',
      async () => (await simStatus()).lag_s < 60,
      60_000,
    );
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([stopProcess(sim), stopProcess(speed)]);
    await api?.app.close();
    await deps?.close();
    tb?.close();
    for (const prefix of [speedPrefix, alertPrefix, s.id]) {
      const keys = await redis.keys(`*${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
    redis.disconnect();
    await deletePrefix(s3, s.config.connection.s3Bucket, `it/${s.id}/`);
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the key from the URL fragment, removes it from the address bar and keeps it for the tab', async () => {
    await page.goto(`${base}/dashboard#key=${api!.keys.dashboard}`);
    await page.getByTestId('panels').waitFor({ state: 'visible' });
    expect(page.url()).toBe(`${base}/dashboard`);
    expect(await dom<string | null>(page, "sessionStorage.getItem('ami.dashboard.apiKey')")).toBe(
      api!.keys.dashboard,
    );
    expect(await page.getByTestId('key-form').isHidden()).toBe(true);
  });

  it('asks for a key when the tab has none, and refuses unknown keys and keys without the role', async () => {
    const other = await browser!.newPage();
    try {
      await other.goto(`${base}/dashboard`);
      const form = other.getByTestId('key-form');
      await form.waitFor({ state: 'visible' });
      expect(await other.getByTestId('panels').isHidden()).toBe(true);
      for (const [key, message] of [
        [api!.wrongKey, 'unknown API key'],
        [api!.keys.billing, 'this route needs one of the roles'],
      ] as const) {
        await other.getByTestId('key-input').fill(key);
        await other.getByTestId('key-submit').click();
        await eventually(`the form to refuse the key (${message})`, async () => {
          expect(await form.isVisible()).toBe(true);
          expect(await other.getByTestId('key-error').textContent()).toContain(message);
        });
      }
      await other.getByTestId('key-input').fill(api!.keys.dashboard);
      await other.getByTestId('key-submit').click();
      await other.getByTestId('receipt-row').first().waitFor({ state: 'visible' });
      expect(await form.isHidden()).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('shows the receipt rate of every feeder as the overview answers it', async () => {
    const feeders = [...new Set(topology.map((r) => r.feeder_id))].sort();
    await eventually('the receipt table to match /v1/realtime/overview', async () => {
      const overview = await apiGet<Overview>('/v1/realtime/overview');
      const shown = await dom<{ window: string; rows: [string, string, string, string][] }>(
        page,
        `({ window: document.querySelector('[data-testid="receipt-table"]').dataset.windowStart,
            rows: [...document.querySelectorAll('[data-testid="receipt-row"]')].map((tr) => [
              tr.dataset.feeder,
              tr.querySelector('[data-testid="receipt-rate"]').dataset.value,
              tr.querySelector('[data-testid="receipt-rate"]').textContent,
              tr.querySelector('[data-testid="receipt-meters"]').textContent]) })`,
      );
      expect(shown.window).toBe(overview.window_start);
      expect(overview.feeders.map((f) => f.feeder_id)).toEqual(feeders);
      expect(shown.rows).toEqual(
        overview.feeders.map((f) => [
          f.feeder_id,
          String(f.receipt_rate),
          `${((f.receipt_rate ?? NaN) * 100).toFixed(1)} %`,
          `${f.meters_reported} / ${f.meters_total}`,
        ]),
      );
      // the published day's meter_daily gives every feeder its meter count, so the rate is known
      for (const f of overview.feeders) expect(f.receipt_rate).toBeGreaterThan(0.5);
      expect(overview.feeders.reduce((n, f) => n + (f.meters_total ?? 0), 0)).toBe(METERS);
    });
  });

  it('draws the feeder load: the built day authoritative, the recent one provisional, the watermark between', async () => {
    const chart = page.getByTestId('load-chart');
    await eventually('the load chart', async () => {
      expect(Number(await chart.getAttribute('data-points-provisional'))).toBeGreaterThan(0);
    });
    const feeder = await chart.getAttribute('data-feeder');
    const from = await chart.getAttribute('data-from');
    const to = await chart.getAttribute('data-to');
    expect(feeder).toBe(await page.getByTestId('feeder-select').inputValue());
    const q = new URLSearchParams({ from: from!, to: to!, step: '1h' });
    const body = await apiGet<SeriesBody>(`/v1/grid/feeder/${feeder}/series?${q.toString()}`);
    const count = (status: string) => body.points.filter((p) => p.status === status && p.kwh !== null).length;
    // before the built day nothing was simulated (missing); the built day: one authoritative point an hour
    expect(count('authoritative')).toBe(builtHours);
    expect(Number(await chart.getAttribute('data-points-authoritative'))).toBe(builtHours);
    expect(Number(await chart.getAttribute('data-points-missing'))).toBeGreaterThanOrEqual(20);
    const provisional = Number(await chart.getAttribute('data-points-provisional'));
    expect(provisional).toBeGreaterThan(0);
    expect(provisional).toBeLessThanOrEqual(count('provisional'));
    expect(body.watermark).not.toBeNull();
    expect(Date.parse(body.watermark!)).toBe(recentStartMs);
    const line = page.getByTestId('watermark-line');
    expect(Date.parse((await line.getAttribute('data-watermark'))!)).toBe(recentStartMs);
    const auth = (await page.getByTestId('load-line-authoritative').getAttribute('d')) ?? '';
    const prov = (await page.getByTestId('load-line-provisional').getAttribute('d')) ?? '';
    expect(auth.match(/[ML]/g)?.length).toBe(builtHours);
    expect(prov.match(/[ML]/g)?.length ?? 0).toBeGreaterThan(1);
    // the provisional tail starts at the watermark (bridged from the last authoritative hour)
    expect(Number(/^M([\d.]+)/.exec(prov)?.[1])).toBeLessThan(Number((await line.getAttribute('x1')) ?? NaN));
    const catalog = await apiGet<{ version: string; watermark: string }>('/v1/catalog');
    expect(Date.parse(catalog.watermark)).toBe(recentStartMs);
    await eventually('the status strip', async () => {
      expect(await page.getByTestId('status-batch-watermark').getAttribute('data-value')).toBe(
        catalog.watermark,
      );
      expect(await page.getByTestId('status-catalog-version').textContent()).toBe(catalog.version);
      expect(await page.getByTestId('status-updated').getAttribute('data-updated-at')).toMatch(/^\d{4}-/);
    });
  });

  it('colours every transformer of the feeder in the voltage heat map as the API answers', async () => {
    const feeder = await page.getByTestId('feeder-select').inputValue();
    const transformers = [
      ...new Set(topology.filter((r) => r.feeder_id === feeder).map((r) => r.transformer_id)),
    ].sort();
    await eventually('the heat map to match /v1/realtime/voltage', async () => {
      const body = await apiGet<VoltageBody>(`/v1/realtime/voltage?feeder=${feeder}&windows=16`);
      const cells = await dom<[string, string, string][]>(
        page,
        `[...document.querySelectorAll('[data-testid="heat-cell"]')].map((c) => [c.dataset.transformer, c.dataset.window, c.dataset.voltage])`,
      );
      expect(body.transformers.map((t) => t.transformer_id)).toEqual(transformers);
      expect(cells).toEqual(
        body.transformers.flatMap((t) =>
          t.cells.map((c, i) => [
            t.transformer_id,
            body.windows[i]!.start,
            c.avg === null ? '' : String(c.avg),
          ]),
        ),
      );
      // the latest closed windows have reads: real voltages near 230 V
      const latest = body.transformers.map((t) => t.cells[t.cells.length - 1]!.avg);
      for (const v of latest) expect(v).toBeGreaterThan(200);
      for (const v of latest) expect(v).toBeLessThan(260);
    });
    expect(await page.getByTestId('heat-row').allTextContents()).toEqual(transformers);
  });

  it('shows a transformer outage injected by the simulator in the live alerts panel', async () => {
    await eventually('the alert stream to connect', async () => {
      expect(await page.getByTestId('alerts-connection').getAttribute('data-state')).toBe('connected');
    });
    const before = await page.locator(`[data-testid="alert-item"][data-entity-id="${OUTAGE_TX}"]`).count();
    expect(before).toBe(0);
    const res = await fetch(`${control}/faults/outage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transformer_id: OUTAGE_TX, minutes: 30 }),
    });
    expect(res.status).toBe(202);
    const outage = (await res.json()) as { transformer_id: string; meter_ids: string[] };
    expect(outage.transformer_id).toBe(OUTAGE_TX);
    expect(outage.meter_ids.sort()).toEqual(
      topology
        .filter((r) => r.transformer_id === OUTAGE_TX)
        .map((r) => r.meter_id)
        .sort(),
    );

    const item = page.locator(
      `[data-testid="alert-item"][data-type="TRANSFORMER_OUTAGE"][data-entity-id="${OUTAGE_TX}"]`,
    );
    await item.waitFor({ state: 'visible', timeout: 90_000 });
    expect(await item.getAttribute('data-status')).toBe('open');
    expect(await item.getAttribute('data-entity-type')).toBe('transformer');
    expect(await item.getByTestId('alert-severity').textContent()).toBe(
      await item.getAttribute('data-severity'),
    );
    expect(await item.getByTestId('alert-entity').textContent()).toBe(`transformer ${OUTAGE_TX}`);
    // newest first: nothing above it opened later
    const times = await dom<number[]>(
      page,
      `[...document.querySelectorAll('[data-testid="alert-item"] time')].map((t) => Date.parse(t.getAttribute('datetime')))`,
    );
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // the same alert is in the API's active set
    const open = await apiGet<{ alerts: { alert: { type: string; entity_id: string } }[] }>(
      '/v1/alerts?status=open&limit=1000',
    );
    expect(
      open.alerts.some((a) => a.alert.type === 'TRANSFORMER_OUTAGE' && a.alert.entity_id === OUTAGE_TX),
    ).toBe(true);
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
