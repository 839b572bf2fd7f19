/**
 * GET /metrics: Prometheus text of the API process's registry. Public by default (scrapers rarely
 * carry API keys and the API listens on loopback); AMI_API_METRICS_PUBLIC=false requires an
 * operator key. Not rate limited.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { Registry } from '@ami/shared/metrics';
import type { RouteModule } from './context.ts';

export interface MetricsRoutesOptions {
  readonly registry: Registry;
  readonly public: boolean;
}

export function metricsRoutes(opts: MetricsRoutesOptions): RouteModule {
  return (app, ctx) => {
    app.get(
      '/metrics',
      {
        config: { rateLimit: false },
        ...(opts.public ? {} : { preHandler: ctx.authorize(['operator']) }),
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format)',
          response: {
            200: {
              description: 'Prometheus text format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
          },
        },
      },
      async (_request, reply) => {
        const text = await opts.registry.metrics();
        return reply.type(opts.registry.contentType).send(text);
      },
    );
    return Promise.resolve();
  };
}
