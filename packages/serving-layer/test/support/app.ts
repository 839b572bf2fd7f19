/**
 * Builds the API for tests with REAL dependencies: Redis, S3 (MinIO) through the object cache and
 * the catalog reader, DuckDB in memory — the same wiring as main.ts. `unreachableDeps` gives real
 * clients pointed at a closed local port (for "dependency down" tests and for tests that never touch
 * a dependency, such as the OpenAPI document).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { CatalogReader } from '@ami/shared/catalog';
import { createRedis, createS3, openDuckDB, S3ObjectCache, type DuckDBInstance } from '@ami/shared/clients';
import { loadConfig, type AmiConfig } from '@ami/shared/config';
import { createMetricsRegistry } from '@ami/shared/metrics';
import { buildApp, type AppSettings, type BuildAppOptions } from '../../src/app.ts';
import { generateDevKeys, KeyStore } from '../../src/auth/key-store.ts';
import type { ReadinessCheck } from '../../src/plugins/readiness.ts';
import { ROLES, type Role, type RouteModule, type ServingDeps } from '../../src/routes/context.ts';

export const TEST_SETTINGS: AppSettings = {
  rateLimitPerMin: 0,
  bodyLimitBytes: 64 * 1024,
  requestTimeoutMs: 20_000,
  pseudonymSecret: 'test-pseudonym-secret-0123456789',
  metricsPublic: true,
  readyTimeoutMs: 3_000,
  validateResponses: true,
};

export interface TestDeps {
  readonly deps: ServingDeps;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly close: () => Promise<void>;
}

/** Real clients for `config` (from integrationConfig); the catalog lives under `prefix`. */
export async function realDeps(config: AmiConfig, prefix: string): Promise<TestDeps> {
  const dir = mkdtempSync(join(tmpdir(), 'ami-api-test-'));
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const cache = new S3ObjectCache({ s3, bucket, dir: join(dir, 'cache') });
  const catalog = new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 0 });
  const redis = createRedis(config, { connectionName: 'serving-test' });
  const db: DuckDBInstance = await openDuckDB({ threads: 1 });
  return {
    deps: {
      redis,
      catalog,
      db,
      timeZone: config.connection.timeZone,
      realtimePrefix: 'rv',
      partitions: 3,
      now: Date.now,
    },
    s3,
    bucket,
    prefix,
    close: () => {
      redis.disconnect();
      s3.destroy();
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** A local TCP port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** A real Redis client pointed at a closed port (commands fail after ioredis' retries). */
export function deadRedis(port: number): Redis {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
    connectTimeout: 500,
  });
  redis.on('error', () => undefined);
  return redis;
}

/** Real clients for a Redis and an S3 endpoint that do not answer (closed local ports). */
export async function unreachableDeps(): Promise<TestDeps> {
  const port = await closedPort();
  const config = loadConfig({
    REDIS_URL: `redis://127.0.0.1:${port}`,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    KAFKA_BROKERS: `127.0.0.1:${port}`,
  });
  const dir = mkdtempSync(join(tmpdir(), 'ami-api-test-'));
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const cache = new S3ObjectCache({ s3, bucket, dir: join(dir, 'cache') });
  const catalog = new CatalogReader({ s3, bucket, prefix: 'nowhere/', cache, refreshMs: 0 });
  const redis = deadRedis(port);
  const db = await openDuckDB({ threads: 1 });
  return {
    deps: {
      redis,
      catalog,
      db,
      timeZone: config.connection.timeZone,
      realtimePrefix: 'rv',
      partitions: 3,
      now: Date.now,
    },
    s3,
    bucket,
    prefix: 'nowhere/',
    close: () => {
      redis.disconnect();
      s3.destroy();
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

export interface TestApi {
  readonly app: FastifyInstance;
  /** One key per role. */
  readonly keys: Readonly<Record<Role, string>>;
  /** A well-formed key that is in no store. */
  readonly wrongKey: string;
}

export interface TestApiOptions {
  readonly deps: ServingDeps;
  readonly routes?: readonly RouteModule[];
  readonly settings?: Partial<AppSettings>;
  readonly readiness?: readonly ReadinessCheck[];
  readonly logger?: BuildAppOptions['logger'];
}

/** The app with one key per role (dev-key generator) and test settings. */
export async function buildTestApi(opts: TestApiOptions): Promise<TestApi> {
  const dev = generateDevKeys();
  const app = await buildApp({
    deps: opts.deps,
    routes: opts.routes ?? [],
    keys: new KeyStore(dev.entries),
    settings: { ...TEST_SETTINGS, ...opts.settings },
    registry: createMetricsRegistry('serving-layer-test', { defaultMetrics: false }),
    ...(opts.readiness ? { readiness: opts.readiness } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const keys = Object.fromEntries(dev.keys.map((k) => [k.role, k.key])) as Record<Role, string>;
  for (const r of ROLES) if (!keys[r]) throw new Error(`no dev key for ${r}`);
  return { app, keys, wrongKey: generateDevKeys().keys[0]?.key ?? 'ami_wrong' };
}
