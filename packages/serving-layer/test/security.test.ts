/**
 * Hostile input never gets a 5xx: oversized and malformed bodies, wrong types, unknown fields and
 * query parameters, prototype pollution, path traversal, broken URL encoding, oversized keys — each
 * answered with JSON `{error, message, details}` and the right 4xx. Security headers on every
 * response; rate limiting per key (per IP without a valid key) answered with a JSON 429.
 * None of these requests reaches a dependency, so the clients point at a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApi, unreachableDeps, type TestApi, type TestDeps } from './support/app.ts';
import { probeRoutes } from './support/probe-routes.ts';

type Inject = TestApi['app']['inject'];

interface ErrBody {
  error: string;
  message: string;
  details: {
    in?: string;
    issues?: { field: string; rule: string; message: string; allowed: string; received?: string }[];
    limitPerMinute?: number;
  };
}

function expectJsonError(res: Awaited<ReturnType<Inject>>, status: number, error?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message']);
  if (error !== undefined) expect(body.error).toBe(error);
}

describe('hostile input', () => {
  let deps: TestDeps;
  let api: TestApi;
  let editor: Record<string, string>;

  beforeAll(async () => {
    deps = await unreachableDeps();
    api = await buildTestApi({ deps: deps.deps, routes: [probeRoutes], settings: { bodyLimitBytes: 4096 } });
    editor = { 'x-api-key': api.keys.editor };
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  const probe = (payload: string | object, headers: Record<string, string> = {}, url = '/test/probe') =>
    api.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': 'application/json', ...editor, ...headers },
    });

  it('accepts a well-formed request (the baseline the others deviate from)', async () => {
    const res = await probe({ meterId: 'MTR-1', wh: 7 }, {}, '/test/probe?limit=3');
    expect([res.statusCode, res.json()]).toEqual([200, { meterId: 'MTR-1', wh: 7, limit: 3 }]);
  });

  it('413 for a body over the limit', async () => {
    const res = await probe(JSON.stringify({ meterId: 'x'.repeat(10_000), wh: 1 }));
    expectJsonError(res, 413, 'payload_too_large');
  });

  it('400 for malformed JSON and an empty JSON body', async () => {
    expectJsonError(await probe('{"meterId": "MTR-1", "wh": '), 400);
    expectJsonError(await probe('{"meterId": "MTR-1"} trailing'), 400);
    expectJsonError(await probe(''), 400);
  });

  it('400 naming the field for wrong types (bodies are not coerced) and unknown fields', async () => {
    const wrongType = await probe({ meterId: 'MTR-1', wh: '5' });
    expectJsonError(wrongType, 400, 'validation_failed');
    expect(wrongType.json<ErrBody>()).toEqual({
      error: 'validation_failed',
      message: 'body field "wh" must be an integer ≥ 0; received "5"',
      details: {
        in: 'body',
        issues: [
          {
            field: 'wh',
            rule: 'type',
            message: 'must be an integer ≥ 0',
            allowed: 'an integer ≥ 0',
            received: '"5"',
          },
        ],
      },
    });
    const missing = await probe({ meterId: 'MTR-1' });
    expect(missing.json<ErrBody>().details.issues).toEqual([
      { field: 'wh', rule: 'required', message: 'is required: an integer ≥ 0', allowed: 'an integer ≥ 0' },
    ]);
    const extra = await probe({ meterId: 'MTR-1', wh: 1, admin: true });
    expectJsonError(extra, 400, 'validation_failed');
    expect(extra.json<ErrBody>().details.issues?.[0]).toMatchObject({
      field: 'admin',
      rule: 'additionalProperties',
      allowed: 'meterId, wh',
      received: 'true',
    });
    const negative = await probe({ meterId: 'MTR-1', wh: -1 });
    expect(negative.json<ErrBody>().details.issues?.[0]).toMatchObject({ field: 'wh', rule: 'minimum' });
  });

  it('400 for prototype-pollution payloads', async () => {
    expectJsonError(await probe('{"meterId":"a","wh":1,"__proto__":{"admin":true}}'), 400);
    expectJsonError(await probe('{"meterId":"a","wh":1,"constructor":{"prototype":{"admin":true}}}'), 400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('415 for a body that is not JSON', async () => {
    expectJsonError(
      await probe('meterId=MTR-1&wh=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
    );
    expectJsonError(await probe('<xml/>', { 'content-type': 'text/xml' }), 415);
  });

  it('coerces query strings to their types, rejects unknown or invalid query parameters by name', async () => {
    const bad = await probe({ meterId: 'MTR-1', wh: 1 }, {}, '/test/probe?limit=abc');
    expectJsonError(bad, 400, 'validation_failed');
    expect(bad.json<ErrBody>().details).toMatchObject({ in: 'querystring', issues: [{ field: 'limit' }] });
    expectJsonError(await probe({ meterId: 'MTR-1', wh: 1 }, {}, '/test/probe?limit=11'), 400);
    const unknown = await api.app.inject({ url: '/v1/catalog?path=../../etc/passwd', headers: editor });
    expectJsonError(unknown, 400, 'validation_failed');
    expect(unknown.json<ErrBody>().details.issues?.[0]).toMatchObject({
      field: 'path',
      rule: 'additionalProperties',
    });
    expect(unknown.json<ErrBody>().message).toBe(
      'query parameter "path" is not allowed (allowed: none); received "../../etc/passwd"',
    );
  });

  // fuzz finding (test/fuzz/api.int.test.ts): ajv's coercion let ±Infinity through as an integer,
  // past minimum/maximum — GET /v1/realtime/voltage?windows=Infinity answered 500, -Infinity 200
  it('400 for query numbers that coerce to ±Infinity (never reach a handler)', async () => {
    for (const limit of ['Infinity', '-Infinity', '1e400', '-1e999', '+Infinity']) {
      const res = await probe(
        { meterId: 'MTR-1', wh: 1 },
        {},
        `/test/probe?limit=${encodeURIComponent(limit)}`,
      );
      expectJsonError(res, 400, 'validation_failed');
      expect(res.json<ErrBody>().details.issues, limit).toEqual([
        {
          field: 'limit',
          rule: 'type',
          message: 'must be an integer from 1 to 10',
          allowed: 'an integer from 1 to 10',
          received: limit.startsWith('-') ? '-Infinity' : 'Infinity',
        },
      ]);
    }
    expect((await probe({ meterId: 'MTR-1', wh: 1 }, {}, '/test/probe?limit=1e1')).json()).toEqual({
      meterId: 'MTR-1',
      wh: 1,
      limit: 10,
    });
  });

  it('never serves files or 5xx for path-traversal, encoding and oversized URLs', async () => {
    const urls = [
      '/docs/static/../../../../../../etc/passwd',
      '/docs/static/..%2f..%2f..%2f..%2fpackage.json',
      '/docs/static/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/docs/..%5c..%5cpackage.json',
      '/v1/catalog/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/test/fail/..%2F..%2Fetc%2Fpasswd',
      '/test/fail/%00',
      '/v1/catalog%00',
      '/v1/%E0%A4%A',
      '/test/fail/%',
      `/v1/meters/${'M'.repeat(5000)}/series`,
      `/test/fail/${'x'.repeat(300)}`,
    ];
    for (const url of urls) {
      const res = await api.app.inject({ url, headers: editor });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toMatch(/root:|"name": ?"@ami|"dependencies"/);
      expectJsonError(res, res.statusCode);
    }
  });

  it('404 JSON for unknown routes and methods', async () => {
    expectJsonError(await api.app.inject({ url: '/v2/anything', headers: editor }), 404, 'not_found');
    expectJsonError(
      await api.app.inject({ method: 'DELETE', url: '/v1/catalog', headers: editor }),
      404,
      'not_found',
    );
  });

  it('401 for oversized, repeated or odd x-api-key headers', async () => {
    for (const key of ['x'.repeat(8000), `${api.keys.editor} `, api.keys.editor.toUpperCase(), 'null']) {
      expectJsonError(
        await api.app.inject({ url: '/test/fail/conflict', headers: { 'x-api-key': key } }),
        401,
      );
    }
    const repeated = await api.app.inject({
      url: '/test/fail/conflict',
      headers: { 'x-api-key': [api.keys.editor, api.keys.editor] as unknown as string },
    });
    expectJsonError(repeated, 401);
  });

  it('sends security headers on success, error and documentation responses', async () => {
    const responses = [
      await api.app.inject({ url: '/healthz' }),
      await api.app.inject({ url: '/v1/catalog' }),
      await api.app.inject({ url: '/nope' }),
      await probe('{bad'),
      await api.app.inject({ url: '/docs' }),
      await api.app.inject({ url: '/openapi.json' }),
      await api.app.inject({ url: '/v1/%E0%A4%A' }),
    ];
    for (const res of responses) {
      const h = res.headers;
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['content-security-policy']).toContain("default-src 'self'");
      expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(h['content-security-policy']).toContain("object-src 'none'");
      expect(h['x-frame-options']).toBe('DENY');
      expect(h['referrer-policy']).toBe('no-referrer');
      expect(h['cross-origin-resource-policy']).toBe('same-origin');
      expect(h['x-powered-by']).toBeUndefined();
    }
  });
});

describe('rate limiting', () => {
  let deps: TestDeps;
  let api: TestApi;

  beforeAll(async () => {
    deps = await unreachableDeps();
    api = await buildTestApi({ deps: deps.deps, routes: [probeRoutes], settings: { rateLimitPerMin: 3 } });
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  const call = (key?: string) =>
    api.app.inject({
      method: 'POST',
      url: '/test/probe',
      payload: { meterId: 'MTR-1', wh: 1 },
      headers: key === undefined ? {} : { 'x-api-key': key },
    });

  it('limits each API key separately and answers 429 as JSON with retry-after', async () => {
    for (let i = 0; i < 3; i++) expect((await call(api.keys.editor)).statusCode).toBe(200);
    const limited = await call(api.keys.editor);
    expectJsonError(limited, 429, 'rate_limited');
    expect(limited.json<ErrBody>().details).toMatchObject({ limitPerMinute: 3 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-content-type-options']).toBe('nosniff');
    // another key has its own budget
    expect((await call(api.keys.operator)).statusCode).toBe(200);
  });

  it('limits requests without a valid key by client IP, whatever key they make up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(i % 2 === 0 ? undefined : `ami_guess_${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // a valid key is not held back by the anonymous bucket of the same IP
    expect((await call(api.keys.analyst)).statusCode).toBe(403);
  });

  it('never limits health probes and metrics scrapes', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await api.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await api.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    }
  });

  it('limits unknown routes too (no free probing)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await api.app.inject({ url: `/probe-${i}`, headers: { 'x-api-key': api.keys.billing } })).statusCode,
      );
    expect(statuses).toEqual([404, 404, 404, 429]);
  });
});

describe('metrics behind the operator role (AMI_API_METRICS_PUBLIC=false)', () => {
  it('admits operator keys only', async () => {
    const deps = await unreachableDeps();
    const api = await buildTestApi({ deps: deps.deps, settings: { metricsPublic: false } });
    try {
      const status = async (key?: string) =>
        (await api.app.inject({ url: '/metrics', headers: key === undefined ? {} : { 'x-api-key': key } }))
          .statusCode;
      expect([
        await status(api.keys.operator),
        await status(api.keys.analyst),
        await status(api.wrongKey),
        await status(),
      ]).toEqual([200, 403, 401, 401]);
      const doc = (await api.app.inject({ url: '/openapi.json' })).json<{
        paths: Record<string, { get: { security?: unknown } }>;
      }>();
      expect(doc.paths['/metrics']?.get.security).toEqual([{ apiKey: [] }]);
    } finally {
      await api.app.close();
      await deps.close();
    }
  });
});
