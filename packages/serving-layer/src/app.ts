/**
 * The serving layer's Fastify application (SPEC 6): TypeBox schemas validated by strict ajv, JSON
 * errors `{error, message, details}`, API-key auth with roles, security headers, body limit,
 * timeouts, rate limiting per key (or IP), Prometheus metrics, OpenAPI at /openapi.json and Swagger
 * UI at /docs. Route modules (routes/context.ts) plug in through `routes`; the app's own routes
 * (health, readiness, metrics, catalog) are always there.
 *
 * `buildApp` does no I/O of its own: clients come in `deps` (main.ts or the tests create them). It
 * creates the process's one DuckDB connection pool over `deps.db` (`settings.duckdbConnections`,
 * AMI_API_DUCKDB_CONNECTIONS), gives it to every route module in the route context and closes it
 * when the app closes.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { createMetricsRegistry, type Registry } from '@ami/shared/metrics';
import { authorize, identifyCaller } from './auth/authorize.ts';
import type { KeyStore } from './auth/key-store.ts';
import { createPseudonymiser } from './auth/pseudonym.ts';
import { ApiError, ApiErrorSchemaWithId, toApiError } from './errors.ts';
import { installErrorHandlers } from './plugins/error-handler.ts';
import { installApiMetrics } from './plugins/metrics.ts';
import { installOpenApi } from './plugins/openapi.ts';
import { catalogCheck, redisCheck, type ReadinessCheck } from './plugins/readiness.ts';
import { installRouteContract } from './plugins/route-contract.ts';
import { requestValidatorFactory } from './plugins/validation.ts';
import { catalogRoutes } from './routes/catalog.ts';
import type { RouteContext, RouteModule, ServingDeps } from './routes/context.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { seriesRoutes } from './routes/series.ts';
import { alertsRoutes } from './routes/alerts.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { billingRoutes } from './routes/billing.ts';
import { editsRoutes } from './routes/edits.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { reconciliationRoutes } from './routes/reconciliation.ts';
import { DuckDBPool } from './sources/duckdb-pool.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { queuesRoutes } from './queues/index.ts';
import { servingSettings, type ServingSettings } from './settings.ts';

export const API_VERSION = '1.0.0';

/**
 * The feature route modules main.ts serves (beyond the app's own health, metrics and catalog
 * routes). Tests build the app with the same list, so the role matrix and the OpenAPI check cover
 * every route that ships. Add new route modules here.
 */
export const featureRoutes: readonly RouteModule[] = [
  seriesRoutes,
  alertsRoutes,
  billingRoutes,
  analyticsRoutes,
  editsRoutes,
  jobsRoutes,
  reconciliationRoutes,
  dashboardRoutes,
  queuesRoutes,
];

/**
 * The settings buildApp uses (a subset of ServingSettings; `pseudonymSecret` must be resolved).
 * `duckdbConnections` may be left out: then the default of AMI_API_DUCKDB_CONNECTIONS applies.
 */
export type AppSettings = Pick<
  ServingSettings,
  | 'rateLimitPerMin'
  | 'bodyLimitBytes'
  | 'requestTimeoutMs'
  | 'pseudonymSecret'
  | 'metricsPublic'
  | 'readyTimeoutMs'
  | 'validateResponses'
> &
  Partial<Pick<ServingSettings, 'duckdbConnections'>>;

/**
 * The process's one DuckDB pool over `deps.db`, closed with the app: every route's DuckDB queries
 * share its connections (see duckdb-pool.ts). Size: the setting, else AMI_API_DUCKDB_CONNECTIONS'
 * default.
 */
function openPool(app: FastifyInstance, deps: ServingDeps, settings: AppSettings): DuckDBPool {
  const { duckdbConnections } = servingSettings;
  const size = settings.duckdbConnections ?? duckdbConnections.parse(String(duckdbConnections.default));
  const pool = new DuckDBPool(deps.db, size);
  app.addHook('onClose', () => {
    pool.close();
    return Promise.resolve();
  });
  return pool;
}

/** Security headers for responses sent before any hook runs (malformed URLs). */
const BARE_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self';frame-ancestors 'none';object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export interface BuildAppOptions {
  readonly deps: ServingDeps;
  /** Route modules beyond the app's own (series, grid, alerts, billing, ...). */
  readonly routes?: readonly RouteModule[];
  readonly keys: KeyStore;
  readonly settings: AppSettings;
  /** Readiness checks; default: Redis PING and the S3 catalog HEAD. */
  readonly readiness?: readonly ReadinessCheck[];
  /** Prometheus registry (default: a new one with Node default metrics). */
  readonly registry?: Registry;
  /** pino logger (default: none). */
  readonly logger?: FastifyBaseLogger;
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { deps, keys, settings } = opts;
  const pseudonymise = createPseudonymiser(settings.pseudonymSecret);
  const registry = opts.registry ?? createMetricsRegistry('serving-layer');

  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: settings.bodyLimitBytes,
    requestTimeout: settings.requestTimeoutMs,
    handlerTimeout: settings.requestTimeoutMs,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: false },
    schemaController: { compilersFactory: { buildValidator: requestValidatorFactory() } },
    // Malformed URLs (bad percent-encoding) never reach the router: answer them in our format too.
    // (No hook runs for them, so the security headers are set here.)
    frameworkErrors: (err, request, reply) => {
      const mapped = toApiError(err, request.id);
      void (reply as FastifyReply).code(mapped.status).headers(BARE_SECURITY_HEADERS).send(mapped.body);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ApiErrorSchemaWithId);
  app.decorateRequest('apiCaller', null);
  app.decorateRequest('apiKeyState', 'none');
  app.decorate('pseudonymiseCustomerId', pseudonymise);

  // Identify the caller first: the rate limit buckets by key name, authorize() reads the result.
  app.addHook('onRequest', identifyCaller(keys));
  installRouteContract(app, { validateResponses: settings.validateResponses });

  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: true,
      // The API is served over plain HTTP on loopback: upgrading sub-resources would break /docs.
      directives: { upgradeInsecureRequests: null, frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });

  const rateLimited = settings.rateLimitPerMin > 0;
  if (rateLimited) {
    await app.register(rateLimit, {
      global: true,
      max: settings.rateLimitPerMin,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.apiCaller ? `key:${request.apiCaller.name}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'rate_limited', `rate limit exceeded, retry in ${context.after}`, {
          limitPerMinute: context.max,
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }),
    });
  }
  installErrorHandlers(app, rateLimited ? app.rateLimit() : undefined);

  installApiMetrics(app, registry, deps.catalog);
  await installOpenApi(app, API_VERSION);

  const pool = openPool(app, deps, settings);
  const ctx: RouteContext = { deps, pool, authorize, identifyKey: (key) => keys.identify(key) };
  const modules: RouteModule[] = [
    healthRoutes({
      checks: opts.readiness ?? [redisCheck(deps.redis), catalogCheck(deps.catalog)],
      timeoutMs: settings.readyTimeoutMs,
    }),
    metricsRoutes({ registry, public: settings.metricsPublic }),
    catalogRoutes,
    ...(opts.routes ?? []),
  ];
  for (const mod of modules) await app.register(async (child) => mod(child, ctx));
  await app.ready();
  return app;
}
