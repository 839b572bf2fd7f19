/**
 * The operator queue UI (bull-board at /queues) on the API's real wiring: a real BullMQ queue in
 * Redis (the batch layer's BatchJobs client), the app's key store and helmet headers. Covers the
 * credentials (x-api-key or HTTP Basic password), bull-board's JSON endpoint listing the queue and a
 * job enqueued through the client, a change made through the UI's API (pause), cross-site changes
 * refused, 503 without a jobs client, and the page itself in headless Chromium under the API's CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createRedis, type RedisClient } from '@ami/shared/clients';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs } from '@ami/batch-layer/commands';
import { featureRoutes } from '../src/app.ts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { ensureChromium } from '@ami/infra';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';

const basic = (password: string, user = 'operator') =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

interface QueuesResponse {
  queues: {
    name: string;
    counts: Record<string, number>;
    jobs: { id: string; name: string; data: unknown }[];
    isPaused: boolean;
  }[];
}

describe('queue UI at /queues over a real BullMQ queue', () => {
  const config = integrationConfig();
  const settings = loadBatchJobSettings({
    AMI_BATCH_QUEUE: uniqueName('ui'),
    AMI_BATCH_KEY_PREFIX: uniqueName('uiq'),
  });
  let deps: TestDeps;
  let connection: RedisClient;
  let jobs: BatchJobs;
  let api: TestApi;
  let jobId: string;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-queues')}/`);
    connection = createRedis(config, { forBullMQ: true, connectionName: 'queues-ui-test' });
    jobs = new BatchJobs({ connection, settings, timeZone: config.connection.timeZone });
    // no worker runs here: the job stays waiting
    jobId = (await jobs.enqueueRebuild('2026-01-05', 'edit', 'queue-ui')).id;
    api = await buildTestApi({ deps: { ...deps.deps, jobs }, routes: featureRoutes });
  });
  afterAll(async () => {
    await api.app.close();
    await jobs.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    await deps.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'GET', url, headers });

  it('asks browsers for Basic credentials (401 + WWW-Authenticate) and refuses other roles (403)', async () => {
    for (const url of ['/queues', '/queues/', '/queues/api/queues', '/queues/static/favicon-32x32.png']) {
      const none = await get(url);
      expect(none.statusCode, url).toBe(401);
      expect(none.headers['www-authenticate'], url).toBe('Basic realm="AMI queues", charset="UTF-8"');
      expect(none.json(), url).toMatchObject({ error: 'unauthorized' });
      const wrong = await get(url, { authorization: basic(api.wrongKey) });
      expect([wrong.statusCode, wrong.headers['www-authenticate']], url).toEqual([
        401,
        'Basic realm="AMI queues", charset="UTF-8"',
      ]);
    }
    for (const role of ['dashboard', 'analyst', 'billing', 'editor'] as const) {
      const viaBasic = await get('/queues', { authorization: basic(api.keys[role]) });
      const viaHeader = await get('/queues', { 'x-api-key': api.keys[role] });
      expect([viaBasic.statusCode, viaHeader.statusCode], role).toEqual([403, 403]);
      expect(viaBasic.headers['www-authenticate'], role).toBeUndefined();
      expect(viaBasic.json(), role).toMatchObject({
        error: 'forbidden',
        details: { requiredRoles: ['operator'] },
      });
    }
  });

  it('serves the page and its assets to the operator key, as Basic password or x-api-key', async () => {
    const credentials: Record<string, string>[] = [
      { authorization: basic(api.keys.operator) },
      { 'x-api-key': api.keys.operator },
    ];
    for (const headers of credentials) {
      const page = await get('/queues', headers);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('<base href="/queues/" />');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.body)?.[1];
      expect(script).toBeDefined();
      const asset = await get(`/queues/${script}`, headers);
      expect([asset.statusCode, asset.headers['content-type']]).toEqual([
        200,
        'application/javascript; charset=utf-8',
      ]);
    }
  });

  it("lists the batch queue and the job enqueued by the batch layer's client (bull-board JSON API)", async () => {
    const res = await get(`/queues/api/queues?activeQueue=${settings.queue}&status=waiting&page=1`, {
      authorization: basic(api.keys.operator),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<QueuesResponse>();
    expect(body.queues.map((q) => q.name)).toEqual([settings.queue]);
    const q = body.queues[0]!;
    expect(q.counts.waiting).toBe(1);
    expect(q.jobs.map((j) => [j.id, j.name, j.data])).toEqual([
      [jobId, 'build-day', { date: '2026-01-05', cause: 'edit' }],
    ]);
  });

  it('applies changes made through the UI API from the same origin, refuses cross-site ones', async () => {
    const auth = { authorization: basic(api.keys.operator), host: 'api.local' };
    const crossSite = await api.app.inject({
      method: 'PUT',
      url: `/queues/api/queues/${settings.queue}/pause`,
      headers: { ...auth, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.statusCode).toBe(403);
    expect(await jobs.queue.isPaused()).toBe(false);

    const pause = await api.app.inject({
      method: 'PUT',
      url: `/queues/api/queues/${settings.queue}/pause`,
      headers: { ...auth, origin: 'http://api.local', 'sec-fetch-site': 'same-origin' },
    });
    expect(pause.statusCode).toBe(200);
    expect(await jobs.queue.isPaused()).toBe(true);
    await jobs.queue.resume();
  });

  it('keeps /queues out of the OpenAPI document (HTML and bull-board internals)', async () => {
    const doc = (await get('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/queues'))).toEqual([]);
    expect(Object.keys(doc.paths)).toContain('/v1/jobs');
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    let base: string;

    beforeAll(async () => {
      base = await api.app.listen({ host: '127.0.0.1', port: 0 });
      browser = await chromium.launch({ executablePath: await ensureChromium(), args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('renders the queue and its job under the API CSP; the UI can pause the queue', async () => {
      const context = await browser.newContext({
        httpCredentials: { username: 'operator', password: api.keys.operator },
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      // runs in the page (a string: this file is type-checked without the DOM library)
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (e) =>
          console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
      });
      const res = await page.goto(`${base}/queues/queue/${settings.queue}?status=waiting`);
      expect(res?.status()).toBe(200);
      await page.getByText('build-day').first().waitFor({ timeout: 30_000 });
      await page.getByText(settings.queue).first().waitFor({ timeout: 30_000 });

      // the page's own fetches carry the Basic credentials and pass the same-origin rule
      const status = await page.evaluate(
        async (name) => (await fetch(`api/queues/${name}/pause`, { method: 'PUT' })).status,
        settings.queue,
      );
      expect(status).toBe(200);
      expect(await jobs.queue.isPaused()).toBe(true);
      await jobs.queue.resume();
      expect(problems).toEqual([]);
      await context.close();
    });

    it('without credentials the browser is challenged for Basic auth (unlike a plain API 401)', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      // an API route's 401 is an ordinary page load...
      expect((await page.goto(`${base}/v1/catalog`))?.status()).toBe(401);
      // ...while /queues' challenge makes the browser ask for credentials (Playwright has none to give)
      await expect(page.goto(`${base}/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      await context.close();
    });
  });
});

describe('queue UI without a jobs client', () => {
  const config = integrationConfig();
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('api-queues-none')}/`);
    api = await buildTestApi({ deps: deps.deps, routes: featureRoutes });
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  it('checks the role first, then answers 503 JSON', async () => {
    for (const url of ['/queues', '/queues/api/queues']) {
      const op = await api.app.inject({ url, headers: { authorization: basic(api.keys.operator) } });
      expect([op.statusCode, op.json()], url).toEqual([
        503,
        {
          error: 'dependency_unavailable',
          message: 'the queue UI needs the batch job queue, which is not configured',
          details: { dependency: 'jobs' },
        },
      ]);
      const dash = await api.app.inject({ url, headers: { 'x-api-key': api.keys.dashboard } });
      expect(dash.statusCode, url).toBe(403);
      const none = await api.app.inject({ url });
      expect([none.statusCode, none.headers['www-authenticate']], url).toEqual([
        401,
        'Basic realm="AMI queues", charset="UTF-8"',
      ]);
    }
  });
});
