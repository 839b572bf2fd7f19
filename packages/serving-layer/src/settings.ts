/**
 * Serving-layer (API) settings, read from the environment with `readSettings` (every bad variable
 * reported at once). The port is the shared connection setting `API_PORT` (@ami/shared/config).
 *
 * API keys: `AMI_API_KEYS` (JSON) and/or `AMI_API_KEYS_FILE` (path of a JSON file), both a list of
 * `{"name": "grafana", "roles": ["dashboard"], "hash": "sha256:<64 hex>"}` — see auth/key-store.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';
import { parseKeyEntries } from './auth/key-store.ts';

export const servingSettings = {
  host: setting(
    'AMI_API_HOST',
    'Interface the REST API listens on (loopback by default; 0.0.0.0 inside a container)',
    '127.0.0.1',
    parse.string({ nonEmpty: true }),
  ),
  apiKeys: setting(
    'AMI_API_KEYS',
    'API keys as JSON: [{"name","roles":[...],"hash":"sha256:<hex of SHA-256 of the key>"}] (empty = none); make entries with `pnpm exec tsx packages/serving-layer/src/auth/new-key.ts NAME ROLE[,ROLE]`',
    '',
    (raw) => (raw.trim() === '' ? [] : parseKeyEntries(raw)),
  ),
  apiKeysFile: setting(
    'AMI_API_KEYS_FILE',
    'Path of a JSON file with more API keys, same format as AMI_API_KEYS (empty = none)',
    '',
    parse.string(),
  ),
  devKeys: setting(
    'AMI_API_DEV_KEYS',
    'Development mode: generate one random key per role at start and print them once (never in production)',
    'false',
    parse.bool,
  ),
  rateLimitPerMin: setting(
    'AMI_API_RATE_LIMIT_PER_MIN',
    'Requests per minute per API key (per client IP for requests without a valid key); 0 = no limit',
    '1200',
    parse.int(0, 10_000_000),
  ),
  bodyLimitBytes: setting(
    'AMI_API_BODY_LIMIT_BYTES',
    'Largest accepted request body (bytes); larger bodies get 413',
    String(1024 * 1024),
    parse.int(1, 1024 ** 3),
  ),
  requestTimeoutMs: setting(
    'AMI_API_REQUEST_TIMEOUT_MS',
    'Time to receive a request and, separately, to answer it (handler timeout → 503) in ms; streaming routes override it',
    '30000',
    parse.int(100, 3_600_000),
  ),
  pseudonymSecret: setting(
    'AMI_API_PSEUDONYM_SECRET',
    'HMAC secret of the stable customer-id pseudonyms shown to analysts (≥ 16 chars; required unless AMI_API_DEV_KEYS, which uses a random one per process)',
    '',
    (raw) => {
      if (raw !== '' && raw.length < 16) throw new Error('must be at least 16 characters');
      return raw;
    },
  ),
  metricsPublic: setting(
    'AMI_API_METRICS_PUBLIC',
    'GET /metrics without an API key (true) or only with an operator key (false)',
    'true',
    parse.bool,
  ),
  readyTimeoutMs: setting(
    'AMI_API_READY_TIMEOUT_MS',
    'Time each /readyz dependency check may take before it counts as down (ms)',
    '2000',
    parse.int(50, 60_000),
  ),
  validateResponses: setting(
    'AMI_API_VALIDATE_RESPONSES',
    'Validate every JSON response against its route schema (a mismatch is logged and answered 500)',
    'true',
    parse.bool,
  ),
  cacheDir: setting(
    'AMI_API_CACHE_DIR',
    'Local cache of batch-view files downloaded from S3 for DuckDB',
    (env) => join(env.AMI_CACHE_DIR || join(env.HOME || homedir(), '.cache', 'ami-platform'), 'api-cache'),
    parse.string({ nonEmpty: true }),
  ),
  cacheMaxBytes: setting(
    'AMI_API_CACHE_MAX_BYTES',
    'Upper bound of the API object cache (bytes; least recently used files are evicted)',
    String(2 * 1024 ** 3),
    parse.int(1024 * 1024, Number.MAX_SAFE_INTEGER),
  ),
  duckdbThreads: setting('AMI_API_DUCKDB_THREADS', 'DuckDB threads of the API', '2', parse.int(1, 256)),
  duckdbConnections: setting(
    'AMI_API_DUCKDB_CONNECTIONS',
    'DuckDB connections of the API, shared by every route: at most this many queries run at once, further requests wait their turn (FIFO)',
    '4',
    parse.int(1, 64),
  ),
  duckdbMemoryLimit: setting(
    'AMI_API_DUCKDB_MEMORY_LIMIT',
    'DuckDB memory limit of the API (DuckDB size syntax, e.g. 1GB)',
    '1GB',
    (raw) => {
      if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(raw.trim()))
        throw new Error('must be a size such as 512MB or 2GB');
      return raw.trim();
    },
  ),
} as const satisfies SettingsSpec;

export type ServingSettings = SettingsOf<typeof servingSettings>;

export function loadServingSettings(env: Env = process.env): ServingSettings {
  return readSettings(servingSettings, env);
}
