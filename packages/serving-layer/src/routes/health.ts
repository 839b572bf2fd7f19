/**
 * GET /healthz (liveness: the process answers) and GET /readyz (readiness: Redis and the S3 catalog
 * answer within AMI_API_READY_TIMEOUT_MS; optional checks such as Kafka are reported only).
 * No auth and no rate limit: probes must always get through.
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponse } from '../errors.ts';
import { runChecks, type ReadinessCheck } from '../plugins/readiness.ts';
import type { RouteModule } from './context.ts';

const CheckResultSchema = Type.Object(
  {
    name: Type.String(),
    required: Type.Boolean(),
    ok: Type.Boolean(),
    latencyMs: Type.Number(),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const HealthBody = Type.Object(
  { status: Type.Literal('ok'), uptimeS: Type.Number() },
  { additionalProperties: false },
);
export const ReadyBody = Type.Object(
  { status: Type.Literal('ready'), checks: Type.Array(CheckResultSchema) },
  { additionalProperties: false },
);

export interface HealthRoutesOptions {
  readonly checks: readonly ReadinessCheck[];
  readonly timeoutMs: number;
}

export function healthRoutes(opts: HealthRoutesOptions): RouteModule {
  return (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/healthz',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process is up',
          response: { 200: HealthBody },
        },
      },
      () => Promise.resolve({ status: 'ok' as const, uptimeS: Math.round(process.uptime()) }),
    );
    app.get(
      '/readyz',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['operations'],
          summary: 'Readiness: Redis and the S3 batch-view catalog answer (Kafka reported when configured)',
          response: { 200: ReadyBody, 503: errorResponse('A required dependency is down (details.checks)') },
        },
      },
      async (_request, reply) => {
        const checks = await runChecks(opts.checks, opts.timeoutMs);
        const down = checks.filter((c) => c.required && !c.ok);
        if (down.length === 0) return { status: 'ready' as const, checks };
        return reply.code(503).send({
          error: 'not_ready',
          message: `not ready: ${down.map((c) => `${c.name} (${c.error ?? 'down'})`).join('; ')}`,
          details: { checks },
        });
      },
    );
    return Promise.resolve();
  };
}
