/**
 * Liveness and readiness against the real Redis and MinIO: ready when both answer; 503 naming the
 * dependency when Redis is dead (a real client pointed at a closed port) or S3 is unreachable;
 * optional checks are reported but never fail readiness; /healthz stays 200 throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { catalogCheck, redisCheck } from '../src/plugins/readiness.ts';
import {
  buildTestApi,
  closedPort,
  deadRedis,
  realDeps,
  unreachableDeps,
  type TestDeps,
} from './support/app.ts';

interface Check {
  name: string;
  required: boolean;
  ok: boolean;
  error?: string;
}

describe('health and readiness', () => {
  const config = integrationConfig();
  let live: TestDeps;

  beforeAll(async () => {
    live = await realDeps(config, `it/${uniqueName('api-ready')}/`);
  });
  afterAll(async () => {
    await live.close();
  });

  it('is ready when Redis and the S3 catalog answer', async () => {
    const { app } = await buildTestApi({ deps: live.deps });
    try {
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ status: string; checks: Check[] }>();
      expect(body.status).toBe('ready');
      expect(body.checks.map((c) => [c.name, c.required, c.ok])).toEqual([
        ['redis', true, true],
        ['catalog', true, true],
      ]);
    } finally {
      await app.close();
    }
  });

  it('reports a dead Redis as 503 while liveness stays 200', async () => {
    const redis = deadRedis(await closedPort());
    const { app } = await buildTestApi({ deps: { ...live.deps, redis } });
    try {
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      const body = res.json<{ error: string; message: string; details: { checks: Check[] } }>();
      expect(body.error).toBe('not_ready');
      expect(body.message).toMatch(/^not ready: redis \(/);
      const byName = Object.fromEntries(body.details.checks.map((c) => [c.name, c]));
      expect(byName.redis).toMatchObject({ ok: false, required: true, error: expect.any(String) as string });
      expect(byName.catalog).toMatchObject({ ok: true });
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      redis.disconnect();
    }
  });

  it('reports an unreachable S3 as 503 (catalog check)', async () => {
    const dead = await unreachableDeps();
    const { app } = await buildTestApi({
      deps: dead.deps,
      readiness: [redisCheck(live.deps.redis), catalogCheck(dead.deps.catalog)],
      settings: { readyTimeoutMs: 1500 },
    });
    try {
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      const checks = res.json<{ details: { checks: Check[] } }>().details.checks;
      expect(checks.map((c) => [c.name, c.ok])).toEqual([
        ['redis', true],
        ['catalog', false],
      ]);
    } finally {
      await app.close();
      await dead.close();
    }
  });

  it('reports optional checks without failing readiness', async () => {
    const { app } = await buildTestApi({
      deps: live.deps,
      readiness: [
        redisCheck(live.deps.redis),
        {
          name: 'kafka',
          required: false,
          check: () => Promise.reject(new Error('broker down')),
        },
      ],
    });
    try {
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ checks: Check[] }>().checks).toEqual([
        expect.objectContaining({ name: 'redis', ok: true }),
        expect.objectContaining({ name: 'kafka', required: false, ok: false, error: 'broker down' }),
      ]);
    } finally {
      await app.close();
    }
  });
});
