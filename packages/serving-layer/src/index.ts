/**
 * @ami/serving-layer — the public contract of the serving layer (SPEC 6).
 *
 * The API process itself is `src/main.ts` (started by `ami up` and the platform supervisor). Other
 * packages and the cross-package tests may use only what is exported here: `buildApp` with its route
 * modules and options (to run the API in-process over their own clients), the API key store (a
 * development key per role, key files), the customer pseudonymiser the analyst role sees, the
 * topology lookups the routes need (a file re-read when it changes, or rows in memory), the roles,
 * the serving settings (spec for `ami config`, loader), and the API metrics (for the Grafana dashboard
 * check). Route modules, sources, the merge rule and formatting stay internal.
 */
export { API_VERSION, buildApp, featureRoutes, type AppSettings, type BuildAppOptions } from './app.ts';
export {
  KeyStore,
  generateApiKey,
  generateDevKeys,
  hashApiKey,
  parseKeyEntries,
  readKeyFile,
  type ApiCaller,
  type ApiKeyEntry,
  type DevKey,
} from './auth/key-store.ts';
export { createPseudonymiser, type Pseudonymiser } from './auth/pseudonym.ts';
export { TopologyFile, topologyOfRows, type MeterCheck, type TopologyLookup } from './topology.ts';
export { ROLES, type Role, type RouteContext, type RouteModule, type ServingDeps } from './routes/context.ts';
export { loadServingSettings, servingSettings, type ServingSettings } from './settings.ts';
export { LATENCY_BUCKETS_S, createApiMetrics } from './plugins/metrics.ts';
