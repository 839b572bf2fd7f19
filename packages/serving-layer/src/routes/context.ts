/**
 * The contract between the API's app (src/app.ts: Fastify, auth, errors, OpenAPI) and its route
 * modules (src/routes/*.ts). A route module is `(app, ctx) => Promise<void>`: it registers its
 * routes with TypeBox schemas and protects each with `ctx.authorize([...roles])`.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { CatalogReader } from '@ami/shared/catalog';
import type { DuckDBInstance } from '@ami/shared/clients';

/** SPEC 6 roles. */
export const ROLES = ['dashboard', 'analyst', 'billing', 'operator', 'editor'] as const;
export type Role = (typeof ROLES)[number];

/** Shared clients and settings every route may use (created once by main.ts / tests). */
export interface ServingDeps {
  readonly redis: Redis;
  /** Reader of the batch views; pin once per request (`catalog.withPinned`). */
  readonly catalog: CatalogReader;
  /** DuckDB for queries over cached view files (parameterised SQL only). */
  readonly db: DuckDBInstance;
  /** AMI_TIMEZONE. */
  readonly timeZone: string;
  /** Speed layer's Redis key prefix (AMI_SPEED_KEY_PREFIX) and the reads topic's partition count. */
  readonly realtimePrefix: string;
  readonly partitions: number;
  readonly now: () => number;
}

export interface RouteContext {
  readonly deps: ServingDeps;
  /** preHandler admitting the given roles (401 without/with an unknown key, 403 for other roles). */
  authorize(roles: readonly Role[]): preHandlerAsyncHookHandler;
}

export type RouteModule = (app: FastifyInstance, ctx: RouteContext) => Promise<void>;
