/**
 * API metrics on the process's prom-client registry (@ami/shared/metrics, every name `ami_`):
 * request latency per route template, method and status, plus the catalog version being served.
 * Unmatched URLs share one route label so random paths cannot blow up the series count.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, histogram, METRIC_PREFIX, type Registry } from '@ami/shared/metrics';
import type { CatalogReader } from '@ami/shared/catalog';

export const LATENCY_BUCKETS_S = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Creates the API's metrics on `registry` (also used by infra/grafana's test to know which names the
 * API exposes). `catalog` feeds the catalog-seq gauge at scrape time.
 */
export function createApiMetrics(registry: Registry, catalog: Pick<CatalogReader, 'seq'>) {
  const latency = histogram(
    registry,
    'api_request_duration_seconds',
    'Time from request received to response sent, by route template, method and status',
    LATENCY_BUCKETS_S,
    ['route', 'method', 'status'],
  );
  new Gauge({
    name: `${METRIC_PREFIX}api_catalog_seq`,
    help: 'Catalog snapshot sequence the API pins (0 = none published or not yet read)',
    registers: [registry],
    collect() {
      this.set(catalog.seq);
    },
  });
  return { latency };
}

export function installApiMetrics(app: FastifyInstance, registry: Registry, catalog: CatalogReader): void {
  const { latency } = createApiMetrics(registry, catalog);
  app.addHook('onResponse', async (request, reply) => {
    latency.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
