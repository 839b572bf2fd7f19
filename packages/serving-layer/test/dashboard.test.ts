/**
 * The dashboard without a browser: the voltage heat map's pure functions, the page's own ES
 * modules where they are pure (event-stream parsing and reconnecting, chart segments, alert list,
 * colour scale, key from the URL fragment), and the static routes — public, served from the
 * allow-list only, no inline script or style (helmet's CSP forbids them), hidden from OpenAPI.
 * The browser test (dashboard.int.test.ts) runs the page itself in headless Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_GRID_WINDOW } from '@ami/speed-layer/realtime-view';
import { featureRoutes } from '../src/app.ts';
import { ASSETS_DIR, loadAssets } from '../src/dashboard/static.ts';
import { transformersOfFeeder, voltageCell, windowStarts } from '../src/dashboard/voltage.ts';
import { buildTestApi, unreachableDeps, type TestApi, type TestDeps } from './support/app.ts';

/** The page's modules are plain browser JavaScript: imported by URL, typed here by what we use. */
interface SseEvent {
  id: string;
  event: string;
  data: string;
}
interface SseModule {
  createSseParser: (onEvent: (e: SseEvent) => void) => {
    push(text: string): void;
    readonly lastEventId: string;
  };
  followEventStream: (o: {
    url: string;
    key: string;
    onEvent: (e: SseEvent) => void;
    onState: (s: string) => void;
    signal: AbortSignal;
    retryMs?: number;
    fetchImpl: (url: string, init: { headers: Record<string, string> }) => Promise<Response>;
  }) => Promise<void>;
}
interface ChartPoint {
  startMs: number;
  endMs: number;
  kw: number | null;
  status: string;
}
interface ChartModule {
  loadPoints: (
    body: {
      points: { start: string; end: string; kwh: number | null; status: string }[];
    },
    filledUntilMs?: number,
  ) => (ChartPoint & { partial: boolean })[];
  chartSegments: (points: ChartPoint[]) => { status: string; points: ChartPoint[]; bridge: boolean }[];
  niceMax: (max: number) => number;
}
interface AlertLike {
  id: string;
  opened_at: string;
  cleared_at: string | null;
  status: string;
}
interface AlertsModule {
  applyTransition: (list: AlertLike[], alert: AlertLike, max?: number) => AlertLike[];
  alertOfEvent: (e: SseEvent) => AlertLike | null;
}
interface HeatmapModule {
  voltageColour: (v: number | null, low: number, high: number) => string | null;
  breachesLimits: (cell: { min: number | null; max: number | null }, low: number, high: number) => boolean;
}
interface ApiModule {
  keyFromFragment: (hash: string) => string | null;
}
interface FormatModule {
  formatRate: (rate: number | null) => string;
}

const asset = async <T>(name: string): Promise<T> => (await import(join(ASSETS_DIR, name))) as T;

describe('voltage heat map (pure)', () => {
  it('turns a grid window into volts: average over reporters, min, max', () => {
    expect(
      voltageCell({
        ...EMPTY_GRID_WINDOW,
        metersReported: 3,
        voltageCount: 3,
        voltageSumCv: 23_000 + 23_100 + 22_950,
        voltageMinCv: 22_950,
        voltageMaxCv: 23_100,
      }),
    ).toEqual({ avg: 230.17, min: 229.5, max: 231, meters_reported: 3 });
    expect(voltageCell(EMPTY_GRID_WINDOW)).toEqual({ avg: null, min: null, max: null, meters_reported: 0 });
  });

  it('lists the windows ending with the latest one, oldest first', () => {
    const last = Date.UTC(2026, 2, 29, 0, 15);
    expect(windowStarts(last, 3)).toEqual([last - 1_800_000, last - 900_000, last]);
  });

  it("finds a feeder's transformers, sorted", () => {
    const map = new Map([
      ['TX-3', 'FDR-1'],
      ['TX-1', 'FDR-1'],
      ['TX-2', 'FDR-2'],
    ]);
    expect(transformersOfFeeder(map, 'FDR-1')).toEqual(['TX-1', 'TX-3']);
    expect(transformersOfFeeder(map, 'FDR-9')).toEqual([]);
  });
});

describe('event-stream parsing (sse.js)', () => {
  const stream = [
    ': connected\n\n',
    'id: 1-0\nevent: opened\ndata: {"a":1}\n\n',
    'id: 2-0\r\nevent: cleared\r\ndata: line one\r\ndata: line two\r\n\r\n',
    ': heartbeat\n\n',
    'id: 3-0\rdata:no space\r\r',
  ].join('');
  const expected: SseEvent[] = [
    { id: '1-0', event: 'opened', data: '{"a":1}' },
    { id: '2-0', event: 'cleared', data: 'line one\nline two' },
    { id: '3-0', event: 'message', data: 'no space' },
  ];

  it('parses the stream whole and cut at every possible place (CRLF split across chunks too)', async () => {
    const { createSseParser } = await asset<SseModule>('sse.js');
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const second of [cut, Math.min(stream.length, cut + 7)]) {
        const got: SseEvent[] = [];
        const parser = createSseParser((e) => got.push(e));
        parser.push(stream.slice(0, cut));
        parser.push(stream.slice(cut, second));
        parser.push(stream.slice(second));
        expect(got, `cut at ${cut}/${second}`).toEqual(expected);
        expect(parser.lastEventId).toBe('3-0');
      }
    }
  });

  it('does not dispatch an event before its blank line', async () => {
    const { createSseParser } = await asset<SseModule>('sse.js');
    const got: SseEvent[] = [];
    const parser = createSseParser((e) => got.push(e));
    parser.push('id: 9-1\nevent: opened\ndata: {}\n');
    expect(got).toEqual([]);
    parser.push('\n');
    expect(got).toEqual([{ id: '9-1', event: 'opened', data: '{}' }]);
  });

  it('reconnects after a drop with Last-Event-ID and stops on 401', async () => {
    const { followEventStream } = await asset<SseModule>('sse.js');
    const bodies = ['id: 5-0\nevent: opened\ndata: {"n":1}\n\n', 'id: 6-0\nevent: opened\ndata: {"n":2}\n\n'];
    const requests: Record<string, string>[] = [];
    const events: SseEvent[] = [];
    const states: string[] = [];
    const fetchImpl = (_url: string, init: { headers: Record<string, string> }) => {
      requests.push(init.headers);
      const body = bodies.shift();
      if (body === undefined) return Promise.resolve(new Response('{}', { status: 401 }));
      return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    };
    await followEventStream({
      url: '/v1/alerts/stream',
      key: 'k1',
      onEvent: (e) => events.push(e),
      onState: (s) => states.push(s),
      signal: new AbortController().signal,
      retryMs: 1,
      fetchImpl,
    });
    expect(events.map((e) => e.id)).toEqual(['5-0', '6-0']);
    expect(requests.map((h) => [h['x-api-key'], h['last-event-id']])).toEqual([
      ['k1', undefined],
      ['k1', '5-0'],
      ['k1', '6-0'],
    ]);
    expect(states).toEqual([
      'connecting',
      'connected',
      'reconnecting',
      'connecting',
      'connected',
      'reconnecting',
      'connecting',
      'unauthorized',
    ]);
  });
});

describe('load chart geometry (chart.js)', () => {
  const at = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString();
  const point = (h: number, kwh: number | null, status: string) => ({
    start: at(h),
    end: at(h + 1),
    kwh,
    status,
  });

  it('averages power over the bucket and splits lines at gaps and at the watermark', async () => {
    const { loadPoints, chartSegments } = await asset<ChartModule>('chart.js');
    const points = loadPoints({
      points: [
        point(0, 2, 'authoritative'),
        point(1, 3, 'authoritative'),
        point(2, null, 'missing'),
        point(3, 4, 'authoritative'),
        point(4, 5, 'provisional'),
        point(5, 6, 'provisional'),
      ],
    });
    expect(points.map((p) => p.kw)).toEqual([2, 3, null, 4, 5, 6]);
    const runs = chartSegments(points);
    expect(runs.map((r) => [r.status, r.bridge, r.points.map((p) => p.kw)])).toEqual([
      ['authoritative', false, [2, 3]],
      ['authoritative', false, [4]],
      ['provisional', true, [4, 5, 6]],
    ]);
    const quarter = loadPoints({
      points: [
        {
          start: at(0),
          end: new Date(Date.UTC(2026, 2, 1, 0, 15)).toISOString(),
          kwh: 1,
          status: 'provisional',
        },
      ],
    });
    expect(quarter[0]?.kw).toBe(4);
  });

  it('averages the still-filling provisional bucket over its filled part only', async () => {
    const { loadPoints } = await asset<ChartModule>('chart.js');
    const body = {
      points: [point(0, 4, 'authoritative'), point(1, 4, 'provisional'), point(2, 3, 'provisional')],
    };
    // the realtime view is filled up to 02:45: the last hour holds 3 of its 4 intervals
    const filled = Date.UTC(2026, 2, 1, 2, 45);
    const points = loadPoints(body, filled);
    expect(points.map((p) => [p.kw, p.partial])).toEqual([
      [4, false],
      [4, false],
      [4, true],
    ]);
    // without the fill mark (or an authoritative bucket) the whole bucket counts
    expect(loadPoints(body).map((p) => p.kw)).toEqual([4, 4, 3]);
    const auth = loadPoints({ points: [point(2, 3, 'authoritative')] }, filled);
    expect(auth.map((p) => [p.kw, p.partial])).toEqual([[3, false]]);
  });

  it('rounds the axis up to 1, 2, 2.5 or 5 × 10^n', async () => {
    const { niceMax } = await asset<ChartModule>('chart.js');
    expect([0, 0.7, 3, 21, 240, 999].map(niceMax)).toEqual([1, 1, 5, 25, 250, 1000]);
  });
});

describe('alerts list, colours, key and format (alerts.js, heatmap.js, api.js, format.js)', () => {
  const alert = (id: string, opened: string, cleared: string | null = null): AlertLike => ({
    id,
    opened_at: opened,
    cleared_at: cleared,
    status: cleared === null ? 'open' : 'cleared',
  });

  it('keeps one entry per alert, newest transition first, capped', async () => {
    const { applyTransition, alertOfEvent } = await asset<AlertsModule>('alerts.js');
    let list: AlertLike[] = [];
    list = applyTransition(list, alert('a', '2026-03-01T10:00:00Z'));
    list = applyTransition(list, alert('b', '2026-03-01T11:00:00Z'));
    expect(list.map((a) => a.id)).toEqual(['b', 'a']);
    list = applyTransition(list, alert('a', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z'));
    expect(list.map((a) => [a.id, a.status])).toEqual([
      ['a', 'cleared'],
      ['b', 'open'],
    ]);
    expect(applyTransition(list, alert('c', '2026-03-01T13:00:00Z'), 2).map((a) => a.id)).toEqual(['c', 'a']);
    const a = alert('x', '2026-03-01T10:00:00Z');
    expect(alertOfEvent({ id: '1-0', event: 'opened', data: JSON.stringify(a) })).toEqual(a);
    expect(alertOfEvent({ id: '1-0', event: 'message', data: JSON.stringify(a) })).toBeNull();
    expect(alertOfEvent({ id: '1-0', event: 'opened', data: 'not json' })).toBeNull();
  });

  it('colours voltage from blue (low limit) through green to red (high limit)', async () => {
    const { voltageColour, breachesLimits } = await asset<HeatmapModule>('heatmap.js');
    expect(voltageColour(null, 207, 253)).toBeNull();
    const hue = (v: number) => Number(/^hsl\((\d+)/.exec(voltageColour(v, 207, 253) ?? '')?.[1]);
    expect([200, 207, 230, 253, 260].map(hue)).toEqual([220, 220, 120, 0, 0]);
    expect(hue(218)).toBeGreaterThan(hue(225));
    expect(breachesLimits({ min: 206.99, max: 230 }, 207, 253)).toBe(true);
    expect(breachesLimits({ min: 207, max: 253 }, 207, 253)).toBe(false);
  });

  it('reads the key from the URL fragment and formats receipt rates', async () => {
    const { keyFromFragment } = await asset<ApiModule>('api.js');
    expect(keyFromFragment('#key=ami_abc')).toBe('ami_abc');
    expect(keyFromFragment('#x=1&key=ami_abc')).toBe('ami_abc');
    expect(keyFromFragment('')).toBeNull();
    expect(keyFromFragment('#key=')).toBeNull();
    const { formatRate } = await asset<FormatModule>('format.js');
    expect([formatRate(null), formatRate(1), formatRate(0.9751)]).toEqual(['—', '100.0 %', '97.5 %']);
  });
});

describe('dashboard static routes', () => {
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await unreachableDeps();
    api = await buildTestApi({ deps: deps.deps, routes: featureRoutes });
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  it('serves the page without a key, under a CSP that allows only same-origin resources', async () => {
    const res = await api.app.inject({ url: '/dashboard' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(res.body).toContain('data-testid="load-chart"');
    // no inline script, inline style, event-handler attribute or external URL
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves every asset the page and its modules refer to, with its content type', async () => {
    const page = (await api.app.inject({ url: '/dashboard' })).body;
    const refs = new Set(
      [...page.matchAll(/(?:src|href)="\/dashboard\/assets\/([^"]+)"/g)].map((m) => m[1]!),
    );
    for (const name of loadAssets().keys())
      if (name.endsWith('.js'))
        for (const m of readFileSync(join(ASSETS_DIR, name), 'utf8').matchAll(/from '\.\/([^']+)'/g))
          refs.add(m[1]!);
    expect([...refs].sort()).toEqual([
      'alerts.js',
      'api.js',
      'app.js',
      'chart.js',
      'dashboard.css',
      'dom.js',
      'format.js',
      'heatmap.js',
      'sse.js',
    ]);
    for (const name of refs) {
      const res = await api.app.inject({ url: `/dashboard/assets/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type'], name).toBe(
        name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expect(res.body, name).toBe(readFileSync(join(ASSETS_DIR, name), 'utf8'));
    }
  });

  it('answers 404/400 in the API error format for anything else under /dashboard/assets', async () => {
    for (const [url, status] of [
      ['/dashboard/assets/nope.js', 404],
      ['/dashboard/assets/..%2Fstatic.ts', 400],
      ['/dashboard/assets/%2E%2E%2Froutes.ts', 400],
      ['/dashboard/assets/Dashboard.CSS', 400],
    ] as const) {
      const res = await api.app.inject({ url });
      expect(res.statusCode, url).toBe(status);
      expect(Object.keys(res.json()).sort(), url).toEqual(['details', 'error', 'message']);
    }
  });

  it('keeps the page out of the OpenAPI document but documents the voltage route', async () => {
    const doc = (await api.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
    expect(doc.paths['/v1/realtime/voltage']).toBeDefined();
  });

  it('validates the voltage query before touching any dependency', async () => {
    const key = { 'x-api-key': api.keys.dashboard };
    for (const q of [
      '',
      'feeder=FDR-001&windows=0',
      'feeder=FDR-001&windows=97',
      'feeder=bad%20id',
      'feeder=F&x=1',
    ]) {
      const res = await api.app.inject({ url: `/v1/realtime/voltage?${q}`, headers: key });
      expect(res.statusCode, q).toBe(400);
    }
    expect((await api.app.inject({ url: '/v1/realtime/voltage?feeder=FDR-001' })).statusCode).toBe(401);
    expect(
      (
        await api.app.inject({
          url: '/v1/realtime/voltage?feeder=FDR-001',
          headers: { 'x-api-key': api.keys.billing },
        })
      ).statusCode,
    ).toBe(403);
  });
});
