/**
 * The role matrix: every route the API serves × every role + no key + an unknown key → expected
 * status, against the app wired to the real Redis, MinIO and DuckDB. Adding a route = adding one
 * row to ROLE_MATRIX (a test fails while a documented route has no row). Also: the error mapping
 * of route-thrown errors (409, 503, 500), response validation, handler timeout, customer-id
 * visibility per role, and the latency metric.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { featureRoutes } from '../src/app.ts';
import { ROLES, type Role } from '../src/routes/context.ts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { PROBE_ROLES, probeRoutes } from './support/probe-routes.ts';
import { createRedis } from '@ami/shared/clients';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs } from '@ami/batch-layer/commands';

interface MatrixRow {
  readonly method: 'GET' | 'POST';
  /** Path as in the OpenAPI document. */
  readonly path: string;
  /** A concrete, valid request of that route. */
  readonly url: string;
  readonly body?: unknown;
  /** Roles admitted; 'public' = no key needed (a wrong key is ignored). */
  readonly roles: readonly Role[] | 'public';
  /** Status of an admitted request. */
  readonly ok: number;
}

const SERIES_QUERY = 'from=2026-03-01T00:00:00%2B01:00&to=2026-03-02T00:00:00%2B01:00&step=1h';

/** One row per route. */
const ROLE_MATRIX: readonly MatrixRow[] = [
  { method: 'GET', path: '/healthz', url: '/healthz', roles: 'public', ok: 200 },
  { method: 'GET', path: '/readyz', url: '/readyz', roles: 'public', ok: 200 },
  { method: 'GET', path: '/metrics', url: '/metrics', roles: 'public', ok: 200 },
  { method: 'GET', path: '/v1/catalog', url: '/v1/catalog', roles: ROLES, ok: 200 },
  {
    method: 'GET',
    path: '/v1/meters/{meterId}/series',
    url: `/v1/meters/MTR-000001/series?${SERIES_QUERY}`,
    roles: ['analyst', 'billing', 'dashboard'],
    ok: 200,
  },
  {
    method: 'GET',
    path: '/v1/grid/{level}/{id}/series',
    url: `/v1/grid/feeder/FDR-001/series?${SERIES_QUERY}`,
    roles: ['analyst', 'dashboard'],
    ok: 200,
  },
  // alert routes: the matrix app has no alert store (alertKeyPrefix), so admitted callers get 503;
  // an admitted SSE request would never end under inject (test/alerts.int.test.ts covers the stream)
  {
    method: 'GET',
    path: '/v1/alerts',
    url: '/v1/alerts?status=all&limit=10',
    roles: ['dashboard', 'operator'],
    ok: 503,
  },
  {
    method: 'GET',
    path: '/v1/alerts/stream',
    url: '/v1/alerts/stream',
    roles: ['dashboard', 'operator'],
    ok: 503,
  },
  {
    method: 'GET',
    path: '/v1/realtime/overview',
    url: '/v1/realtime/overview',
    roles: ['dashboard'],
    ok: 503,
  },
  // the voltage heat map works without the alert store (clock watermark); no published day → no transformers
  {
    method: 'GET',
    path: '/v1/realtime/voltage',
    url: '/v1/realtime/voltage?feeder=FDR-001&windows=4',
    roles: ['dashboard', 'operator', 'analyst'],
    ok: 200,
  },
  // billing: the matrix app's catalog is empty, so the period is not final (409 names the days)
  {
    method: 'GET',
    path: '/v1/billing/determinants',
    url: '/v1/billing/determinants?period=2026-02',
    roles: ['billing'],
    ok: 409,
  },
  {
    method: 'GET',
    path: '/v1/analytics/aggregate',
    url: `/v1/analytics/aggregate?metric=energy_kwh&groupBy=region&${SERIES_QUERY}`,
    roles: ['analyst'],
    ok: 200,
  },
  // edits/jobs/reconciliation: the matrix app has no edit store, jobs client or S3 reports → 503 once
  // admitted (test/ops-routes.int.test.ts runs them with real ones)
  {
    method: 'POST',
    path: '/v1/edits',
    url: '/v1/edits',
    body: { meter_id: 'MTR-000001', interval_start: '2026-01-05T10:00:00Z', wh: 100, reason: 'matrix' },
    roles: ['editor'],
    ok: 503,
  },
  {
    method: 'GET',
    path: '/v1/edits',
    url: '/v1/edits?meterId=MTR-000001&from=2026-01-05&to=2026-01-05',
    roles: ['editor', 'analyst'],
    ok: 503,
  },
  {
    method: 'POST',
    path: '/v1/jobs/backfill',
    url: '/v1/jobs/backfill',
    body: { from: '2026-01-01', to: '2026-01-02' },
    roles: ['operator'],
    ok: 503,
  },
  {
    method: 'POST',
    path: '/v1/jobs/rebuild',
    url: '/v1/jobs/rebuild',
    body: { date: '2026-01-01' },
    roles: ['operator'],
    ok: 503,
  },
  { method: 'GET', path: '/v1/jobs/{id}', url: '/v1/jobs/no-such-job', roles: ['operator'], ok: 503 },
  { method: 'GET', path: '/v1/jobs', url: '/v1/jobs', roles: ['operator'], ok: 503 },
  {
    method: 'GET',
    path: '/v1/reconciliation',
    url: '/v1/reconciliation?date=2026-01-01',
    roles: ['operator', 'analyst'],
    ok: 503,
  },
  // probe routes (test/support/probe-routes.ts) plug in like any feature route module
  {
    method: 'POST',
    path: '/test/probe',
    url: '/test/probe',
    body: { meterId: 'MTR-1', wh: 5 },
    roles: PROBE_ROLES,
    ok: 200,
  },
  {
    method: 'GET',
    path: '/test/fail/{mode}',
    url: '/test/fail/conflict',
    roles: PROBE_ROLES,
    ok: 409,
  },
  {
    method: 'GET',
    path: '/test/customer',
    url: '/test/customer',
    roles: ['analyst', 'billing', 'operator', 'dashboard'],
    ok: 200,
  },
];

type Caller = Role | 'no key' | 'wrong key';
const CALLERS: readonly Caller[] = [...ROLES, 'no key', 'wrong key'];

function expected(row: MatrixRow, caller: Caller): number {
  if (row.roles === 'public') return row.ok;
  if (caller === 'no key' || caller === 'wrong key') return 401;
  return row.roles.includes(caller) ? row.ok : 403;
}

interface LogLine {
  readonly level: string;
  readonly obj: unknown;
  readonly msg: unknown;
}

/** A FastifyBaseLogger that records what the app logs (for "500s are logged"). */
function recordingLogger(lines: LogLine[]): FastifyBaseLogger {
  const at =
    (level: string) =>
    (obj: unknown, msg?: unknown): void =>
      void lines.push({ level, obj, msg });
  const logger = {
    level: 'info',
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: at('silent'),
    child: () => logger,
  };
  return logger;
}

describe('serving API on real Redis, MinIO and DuckDB', () => {
  const config = integrationConfig();
  const logLines: LogLine[] = [];
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-matrix')}/`);
    api = await buildTestApi({
      deps: deps.deps,
      routes: [...featureRoutes, probeRoutes],
      logger: recordingLogger(logLines),
    });
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  const send = (row: Pick<MatrixRow, 'method' | 'url' | 'body'>, caller: Caller) =>
    api.app.inject({
      method: row.method,
      url: row.url,
      ...(row.body === undefined ? {} : { payload: row.body as object }),
      headers:
        caller === 'no key' ? {} : { 'x-api-key': caller === 'wrong key' ? api.wrongKey : api.keys[caller] },
    });

  it('has a matrix row for every documented route', async () => {
    const doc = (await api.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, object> }>();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(ROLE_MATRIX.map((r) => `${r.method} ${r.path}`).sort()).toEqual(documented);
  });

  for (const row of ROLE_MATRIX) {
    it(`${row.method} ${row.path}: ${row.roles === 'public' ? 'public' : row.roles.join(', ')}`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const caller of CALLERS) {
        const res = await send(row, caller);
        got[caller] = res.statusCode;
        want[caller] = expected(row, caller);
        if (res.statusCode >= 400) {
          expect(res.headers['content-type'], `${caller}`).toMatch(/^application\/json/);
          expect(Object.keys(res.json()).sort(), `${caller}`).toEqual(['details', 'error', 'message']);
        }
      }
      expect(got).toEqual(want);
    });
  }

  // /queues (bull-board, operator) is hidden from OpenAPI, so it has no ROLE_MATRIX row: checked here
  // on the matrix app (no jobs client → 503 once admitted) and below with a real queue (200).
  it('GET /queues (hidden from OpenAPI): operator', async () => {
    const got: Record<string, number> = {};
    for (const caller of CALLERS) {
      const res = await send({ method: 'GET', url: '/queues' }, caller);
      got[caller] = res.statusCode;
      expect(res.headers['content-type'], caller).toMatch(/^application\/json/);
      expect(Object.keys(res.json()).sort(), caller).toEqual(['details', 'error', 'message']);
      if (res.statusCode === 401) expect(res.headers['www-authenticate'], caller).toMatch(/^Basic /);
    }
    expect(got).toEqual(
      Object.fromEntries(
        CALLERS.map((c) => [c, c === 'operator' ? 503 : c === 'no key' || c === 'wrong key' ? 401 : 403]),
      ),
    );
  });

  it('401 and 403 say what is wrong', async () => {
    const none = await send({ method: 'GET', url: '/v1/catalog' }, 'no key');
    expect(none.json()).toMatchObject({ error: 'unauthorized', message: 'missing x-api-key header' });
    const wrong = await send({ method: 'GET', url: '/v1/catalog' }, 'wrong key');
    expect(wrong.json()).toMatchObject({ error: 'unauthorized', message: 'unknown API key' });
    const forbidden = await send({ method: 'GET', url: '/test/fail/conflict' }, 'analyst');
    expect(forbidden.json()).toEqual({
      error: 'forbidden',
      message: 'this route needs one of the roles: editor, operator',
      details: { requiredRoles: ['editor', 'operator'] },
    });
  });

  it('shows customer ids to billing and operator only; others get a stable pseudonym', async () => {
    const seen: Record<string, string> = {};
    for (const role of ['analyst', 'dashboard', 'billing', 'operator'] as const) {
      seen[role] = (await send({ method: 'GET', url: '/test/customer' }, role)).json<{
        customerId: string;
      }>().customerId;
    }
    expect(seen.billing).toBe('CUST-000042');
    expect(seen.operator).toBe('CUST-000042');
    expect(seen.analyst).toMatch(/^cust-[0-9a-v]{20}$/);
    expect(seen.dashboard).toBe(seen.analyst);
    const again = (await send({ method: 'GET', url: '/test/customer' }, 'analyst')).json<{
      customerId: string;
    }>();
    expect(again.customerId).toBe(seen.analyst);
  });

  it('maps route errors: 409 with details, 500 for faults (logged, nothing leaked)', async () => {
    const c = await send({ method: 'GET', url: '/test/fail/conflict' }, 'operator');
    expect([c.statusCode, c.json()]).toEqual([
      409,
      { error: 'conflict', message: 'period not final', details: { missingDays: ['2026-03-02'] } },
    ]);
    const f = await send({ method: 'GET', url: '/test/fail/fault' }, 'operator');
    expect(f.statusCode).toBe(500);
    const body = f.json<{ error: string; message: string; details: { requestId: string } }>();
    expect(body).toMatchObject({ error: 'internal_error', message: 'internal error' });
    expect(f.body).not.toContain('secretInternal');
    expect(
      logLines.some(
        (l) =>
          l.level === 'error' &&
          l.msg === 'request failed' &&
          String((l.obj as { err?: Error }).err?.message).includes('secretInternal'),
      ),
    ).toBe(true);
  });

  it('answers 500 (and logs) when a route breaks its own response schema', async () => {
    const res = await send({ method: 'GET', url: '/test/fail/bad-response' }, 'editor');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ error: 'internal_error' });
    expect(logLines.some((l) => l.level === 'error' && l.msg === 'response does not match its schema')).toBe(
      true,
    );
  });

  it('records request latency per route template and status', async () => {
    await send({ method: 'GET', url: '/v1/catalog' }, 'analyst');
    const text = (await api.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(
      /ami_api_request_duration_seconds_count\{[^}]*route="\/v1\/catalog"[^}]*status="200"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /ami_api_request_duration_seconds_count\{[^}]*route="\/v1\/catalog"[^}]*status="401"/,
    );
    expect(text).toContain('ami_api_catalog_seq');
    await api.app.inject({ url: '/no/such/route/12345' });
    const after = (await api.app.inject({ url: '/metrics' })).body;
    expect(after).toMatch(/route="unmatched"/);
    expect(after).not.toContain('/no/such/route/12345');
  });
});

describe('dependency failures and timeouts on the same app wiring', () => {
  const config = integrationConfig();
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-fail')}/`);
    // Redis stopped answering: a real client pointed at a closed port replaces the live one.
    const { closedPort, deadRedis } = await import('./support/app.ts');
    const redis = deadRedis(await closedPort());
    api = await buildTestApi({
      deps: { ...deps.deps, redis },
      routes: [probeRoutes],
      settings: { requestTimeoutMs: 300 },
    });
  });
  afterAll(async () => {
    await api.app.close();
    deps.deps.redis.disconnect();
    await deps.close();
  });

  it('answers 503 dependency_unavailable when Redis is down', async () => {
    const res = await api.app.inject({
      url: '/test/fail/redis',
      headers: { 'x-api-key': api.keys.operator },
    });
    expect([res.statusCode, res.json()]).toEqual([
      503,
      {
        error: 'dependency_unavailable',
        message: 'redis is unavailable; try again later',
        details: { dependency: 'redis' },
      },
    ]);
  });

  it('answers 503 timeout when a handler exceeds the request timeout', async () => {
    const res = await api.app.inject({ url: '/test/fail/slow', headers: { 'x-api-key': api.keys.operator } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'timeout' });
  });
});

describe('queue UI (/queues) on the same app wiring with a real BullMQ queue', () => {
  const config = integrationConfig();
  const settings = loadBatchJobSettings({
    AMI_BATCH_QUEUE: uniqueName('matrixq'),
    AMI_BATCH_KEY_PREFIX: uniqueName('mq'),
  });
  const connection = createRedis(config, { forBullMQ: true, connectionName: 'matrix-queues' });
  const jobs = new BatchJobs({ connection, settings, timeZone: config.connection.timeZone });
  let deps: TestDeps;
  let api: TestApi;
  const basic = (key: string) => `Basic ${Buffer.from(`operator:${key}`).toString('base64')}`;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-matrix-queues')}/`);
    api = await buildTestApi({ deps: { ...deps.deps, jobs }, routes: featureRoutes });
  });
  afterAll(async () => {
    await api.app.close();
    await jobs.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    await deps.close();
  });

  it('no key: 401 with WWW-Authenticate Basic', async () => {
    const res = await api.app.inject({ url: '/queues' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="AMI queues", charset="UTF-8"');
  });

  it('dashboard key (Basic or x-api-key): 403', async () => {
    const viaBasic = await api.app.inject({
      url: '/queues',
      headers: { authorization: basic(api.keys.dashboard) },
    });
    const viaHeader = await api.app.inject({ url: '/queues', headers: { 'x-api-key': api.keys.dashboard } });
    expect([viaBasic.statusCode, viaHeader.statusCode]).toEqual([403, 403]);
  });

  it('operator key as the Basic password: 200 HTML', async () => {
    const res = await api.app.inject({
      url: '/queues',
      headers: { authorization: basic(api.keys.operator) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<title>AMI queues</title>');
  });

  it('operator key as x-api-key: 200 HTML', async () => {
    const res = await api.app.inject({ url: '/queues', headers: { 'x-api-key': api.keys.operator } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});
