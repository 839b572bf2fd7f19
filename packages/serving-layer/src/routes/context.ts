/**
 * The contract between the API's app (src/app.ts: Fastify, auth, errors, OpenAPI) and its route
 * modules (src/routes/*.ts). A route module is `(app, ctx) => Promise<void>`: it registers its
 * routes with TypeBox schemas and protects each with `ctx.authorize([...roles])`.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { DuckDBInstance, RedisClient } from '@ami/shared/clients';
import type { CatalogReader } from '@ami/shared/catalog';
import type { Partitioner } from '@ami/shared/partitioner';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BatchJobs, EditStore } from '@ami/batch-layer/commands';
import type { ApiCaller } from '../auth/key-store.ts';
import type { DuckDBPool } from '../sources/duckdb-pool.ts';
import type { TopologyLookup } from '../topology.ts';

/** SPEC 6 roles. */
export const ROLES = ['dashboard', 'analyst', 'billing', 'operator', 'editor'] as const;
export type Role = (typeof ROLES)[number];

/** Shared clients and settings every route may use (created once by main.ts / tests). */
export interface ServingDeps {
  readonly redis: RedisClient;
  /** Reader of the batch views; pin once per request (`catalog.withPinned`). */
  readonly catalog: CatalogReader;
  /** DuckDB for queries over cached view files (parameterised SQL only). */
  readonly db: DuckDBInstance;
  /** AMI_TIMEZONE. */
  readonly timeZone: string;
  /** Speed layer's Redis key prefix (AMI_SPEED_KEY_PREFIX) and the reads topic's partition count. */
  readonly realtimePrefix: string;
  readonly partitions: number;
  /** AMI_KAFKA_PARTITIONER: the rule the speed layer placed meters by (default murmur2). */
  readonly partitioner?: Partitioner;
  readonly now: () => number;
  /**
   * Operational dependencies of some routes (optional so that a test can build an app without
   * them; a route whose dependency is absent answers 503 `{error: 'unavailable'}`).
   */
  readonly s3?: S3Client;
  /** S3_BUCKET (reconciliation reports, edits). */
  readonly bucket?: string;
  /** AMI_RECONCILIATION_PREFIX. */
  readonly reconciliationPrefix?: string;
  /** Batch jobs client (backfill/rebuild, progress) — @ami/batch-layer/commands. */
  readonly jobs?: BatchJobs;
  /** Append-only edit store — @ami/batch-layer/commands. */
  readonly edits?: EditStore;
  /** AMI_ALERT_KEY_PREFIX of the speed layer's alert store (read through @ami/speed-layer/realtime-view). */
  readonly alertKeyPrefix?: string;
  /** Stable keyed pseudonym of a customer id (for the analyst role). */
  readonly pseudonymise?: (customerId: string) => string;
  /**
   * The meters and service points of the topology (AMI_TOPOLOGY_FILE, src/topology.ts): edits of a
   * meter without a version answer 422, billing of a service point without one 404. POST /v1/edits
   * needs it (503 without); billing without it cannot tell an unknown service point in a period
   * that is not final.
   */
  readonly topology?: TopologyLookup;
}

export interface RouteContext {
  readonly deps: ServingDeps;
  /**
   * The process's one DuckDB connection pool over `deps.db` (created and closed by buildApp; its
   * size, AMI_API_DUCKDB_CONNECTIONS, bounds the queries all routes run at once). Routes query
   * DuckDB only through it and never close it.
   */
  readonly pool: DuckDBPool;
  /** preHandler admitting the given roles (401 without/with an unknown key, 403 for other roles). */
  authorize(roles: readonly Role[]): preHandlerAsyncHookHandler;
  /**
   * The caller of a key presented other than as x-api-key (the queue UI's HTTP Basic password),
   * checked by the API's key store in constant time; absent = such keys are refused.
   */
  readonly identifyKey?: (key: string) => ApiCaller | undefined;
}

export type RouteModule = (app: FastifyInstance, ctx: RouteContext) => Promise<void>;
