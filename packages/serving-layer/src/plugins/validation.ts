/**
 * Schema compilers: ajv (strict mode) through Fastify's own @fastify/ajv-compiler, with
 *  - type coercion for querystring, params and headers (they arrive as strings), none for bodies
 *    (a JSON body must carry the declared types);
 *  - removeAdditional off, so `additionalProperties: false` rejects unknown fields and query
 *    parameters with a 400 naming them instead of silently dropping them;
 *  - a response validator (same strict ajv, no coercion, no defaults) used by route-contract.ts.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

interface RouteSchemaRef {
  readonly schema: unknown;
  readonly method: string;
  readonly url: string;
  readonly httpPart: string;
}

/** A compiled validator (ajv ValidateFunction shape). */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?:
    | readonly {
        keyword?: string;
        instancePath?: string;
        message?: string;
        params?: Record<string, unknown>;
      }[]
    | null;
}

type BuildFn = (route: RouteSchemaRef) => CompiledValidator;
type PoolFn = (externalSchemas: Record<string, unknown>, options: Record<string, unknown>) => BuildFn;

const STRICT_OPTIONS = {
  strict: true,
  removeAdditional: false,
  allErrors: false,
  useDefaults: true,
} as const;

/** schemaController.compilersFactory.buildValidator for the Fastify factory options. */
export function requestValidatorFactory(): ValidatorFactory {
  const pool = AjvCompiler() as unknown as PoolFn;
  const factory = (externalSchemas: Record<string, unknown>, options?: Record<string, unknown>): BuildFn => {
    const base = options ?? {};
    const custom = (base.customOptions ?? {}) as Record<string, unknown>;
    const coercing = pool(externalSchemas, {
      ...base,
      customOptions: { ...custom, ...STRICT_OPTIONS, coerceTypes: 'array' },
    });
    const exact = pool(externalSchemas, {
      ...base,
      customOptions: { ...custom, ...STRICT_OPTIONS, coerceTypes: false },
    });
    return (route) => (route.httpPart === 'body' ? exact(route) : coercing(route));
  };
  return factory as unknown as ValidatorFactory;
}

/** Compiles response schemas: strict, no coercion, no defaults, no removal. */
export function responseValidatorCompiler(
  externalSchemas: Record<string, unknown> = {},
): (schema: unknown, url: string) => CompiledValidator {
  const pool = AjvCompiler() as unknown as PoolFn;
  const build = pool(externalSchemas, {
    customOptions: {
      strict: true,
      removeAdditional: false,
      useDefaults: false,
      coerceTypes: false,
      allErrors: false,
    },
  });
  return (schema, url) => build({ schema, method: 'GET', url, httpPart: 'response' });
}
