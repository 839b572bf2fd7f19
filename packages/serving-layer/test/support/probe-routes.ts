/**
 * A route module used only by the tests: it plugs into the app exactly as the feature routes do
 * (RouteModule + ctx.authorize + TypeBox schemas) and exercises what the app core must handle —
 * JSON bodies (limit, bad JSON, strict types), route-thrown 409s, dependency failures, real faults,
 * responses that break their own schema, slow handlers, and customer-id visibility per role.
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { conflict } from '../../src/errors.ts';
import { customerIdFor } from '../../src/auth/authorize.ts';
import type { RouteModule } from '../../src/routes/context.ts';

export const PROBE_ROLES = ['editor', 'operator'] as const;

export const probeRoutes: RouteModule = (instance, ctx) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/test/probe',
    {
      preHandler: ctx.authorize(PROBE_ROLES),
      schema: {
        body: Type.Object(
          { meterId: Type.String({ minLength: 1, maxLength: 64 }), wh: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ meterId: Type.String(), wh: Type.Integer(), limit: Type.Integer() }),
        },
      },
    },
    (request) => Promise.resolve({ ...request.body, limit: request.query.limit ?? 1 }),
  );
  app.get(
    '/test/fail/:mode',
    {
      preHandler: ctx.authorize(PROBE_ROLES),
      schema: {
        params: Type.Object({
          mode: Type.Union([
            Type.Literal('conflict'),
            Type.Literal('fault'),
            Type.Literal('redis'),
            Type.Literal('bad-response'),
            Type.Literal('slow'),
          ]),
        }),
        response: { 200: Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }) },
      },
    },
    async (request) => {
      const mode = request.params.mode;
      if (mode === 'conflict') throw conflict('period not final', { missingDays: ['2026-03-02'] });
      if (mode === 'fault')
        throw new TypeError("Cannot read properties of undefined (reading 'secretInternal')");
      if (mode === 'redis') {
        await ctx.deps.redis.get('probe');
        return { ok: true };
      }
      if (mode === 'bad-response') return { ok: 'yes' as unknown as boolean };
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
      return { ok: true };
    },
  );
  app.get(
    '/test/customer',
    {
      preHandler: ctx.authorize(['analyst', 'billing', 'operator', 'dashboard']),
      schema: { response: { 200: Type.Object({ customerId: Type.String() }) } },
    },
    (request) => Promise.resolve({ customerId: customerIdFor(request, 'CUST-000042') }),
  );
  return Promise.resolve();
};
