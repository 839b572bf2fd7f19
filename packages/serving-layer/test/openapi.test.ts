/**
 * The OpenAPI document of the whole app (own routes + every shipped feature route + a probe route
 * module) is a valid OpenAPI 3.1 document (swagger-parser), declares the x-api-key scheme, marks
 * every protected route with it and its roles, and documents the shared error shape. Building the
 * document touches no dependency, so the clients here point at a closed port.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../src/app.ts';
import { buildTestApi, unreachableDeps, type TestApi, type TestDeps } from './support/app.ts';
import { probeRoutes } from './support/probe-routes.ts';

interface Operation {
  security?: Record<string, string[]>[];
  description?: string;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
}
interface Doc {
  openapi: string;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

describe('OpenAPI document', () => {
  let deps: TestDeps;
  let api: TestApi;
  let doc: Doc;

  beforeAll(async () => {
    deps = await unreachableDeps();
    api = await buildTestApi({ deps: deps.deps, routes: [...featureRoutes, probeRoutes] });
    const res = await api.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json<Doc>();
  });
  afterAll(async () => {
    await api.app.close();
    await deps.close();
  });

  it('is valid OpenAPI 3.1 according to swagger-parser', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('declares the x-api-key header scheme and the shared error schema', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(doc.components.schemas.ApiError).toMatchObject({
      type: 'object',
      required: ['error', 'message', 'details'],
    });
  });

  it('protects every route except health, readiness and metrics, and lists the roles', () => {
    const publicPaths = ['/healthz', '/readyz', '/metrics'];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (publicPaths.includes(path)) {
          expect(op.security, where).toBeUndefined();
          continue;
        }
        expect(op.security, where).toEqual([{ apiKey: [] }]);
        expect(op.description, where).toMatch(/Roles: [a-z, ]+\./);
        for (const code of ['401', '403'])
          expect(op.responses[code]?.content?.['application/json']?.schema?.$ref, `${where} ${code}`).toBe(
            '#/components/schemas/ApiError',
          );
      }
    }
    expect(doc.paths['/v1/catalog']?.get?.description).toContain(
      'Roles: dashboard, analyst, billing, operator, editor.',
    );
  });

  it('documents the error responses, the query parameters and the feature routes', () => {
    const catalog = doc.paths['/v1/catalog']?.get;
    for (const code of ['400', '401', '403', '429', '500', '503'])
      expect(catalog?.responses[code], code).toBeDefined();
    expect(doc.paths['/test/probe']?.post?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:limit',
    ]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/v1/catalog']),
    );
    // Swagger UI and the document itself are not API operations
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs') || p === '/openapi.json')).toEqual([]);
  });

  it('documents 413 and 415 (answered before any handler) for every route that takes a body', () => {
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(withBody.map((b) => b.where)).toEqual(
      expect.arrayContaining(['POST /v1/edits', 'POST /v1/jobs/backfill']),
    );
    for (const { where, op } of withBody)
      for (const code of ['413', '415'])
        expect(op.responses[code]?.content?.['application/json']?.schema?.$ref, `${where} ${code}`).toBe(
          '#/components/schemas/ApiError',
        );
  });

  it('documents 414 (a path parameter over the router limit) for every route with path parameters', () => {
    const withParams = Object.entries(doc.paths).filter(([path]) => path.includes('{'));
    expect(withParams.map(([path]) => path)).toEqual(expect.arrayContaining(['/v1/meters/{meterId}/series']));
    for (const [path, ops] of withParams)
      for (const [method, op] of Object.entries(ops))
        expect(op.responses['414']?.content?.['application/json']?.schema?.$ref, `${method} ${path}`).toBe(
          '#/components/schemas/ApiError',
        );
  });

  it('documents every content type a format parameter selects', () => {
    const types = (path: string) => Object.keys(doc.paths[path]?.get?.responses['200']?.content ?? {}).sort();
    expect(types('/v1/analytics/aggregate')).toEqual([
      'application/json',
      'application/vnd.apache.arrow.stream',
      'text/csv',
    ]);
    expect(types('/v1/billing/determinants')).toEqual([
      'application/json',
      'application/vnd.apache.parquet',
      'text/csv',
    ]);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await api.app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('swagger-ui');
    const init = await api.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain("resolveUrl('./json')");
    const uiDoc = await api.app.inject({ url: '/docs/json' });
    expect(uiDoc.json()).toEqual(doc);
  });
});
