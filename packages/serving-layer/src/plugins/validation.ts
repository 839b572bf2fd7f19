/**
 * Schema compilers: ajv (strict mode) through Fastify's own @fastify/ajv-compiler, with
 *  - type coercion for querystring, params and headers (they arrive as strings), none for bodies
 *    (a JSON body must carry the declared types); a coerced value that is not a finite number is
 *    refused (finiteOnly: ajv lets "Infinity" through as an integer, past minimum and maximum);
 *  - removeAdditional off, so `additionalProperties: false` rejects unknown fields and query
 *    parameters with a 400 naming them instead of silently dropping them;
 *  - `verbose` errors (the failing schema and the value), from which validation-issues.ts words
 *    every 400: the field, what was received and what is allowed;
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
        data?: unknown;
        parentSchema?: unknown;
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
  verbose: true,
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
    return (route) => (route.httpPart === 'body' ? exact(route) : finiteOnly(coercing(route), route.schema));
  };
  return factory as unknown as ValidatorFactory;
}

interface NonFinite {
  /** JSON pointer of the value. */
  readonly path: string;
  readonly value: number;
  /** The keys leading to it. */
  readonly keys: readonly string[];
}

/** The first non-finite number in `data` (undefined = none). */
function nonFinite(data: unknown, at: string, keys: readonly string[]): NonFinite | undefined {
  if (typeof data === 'number') return Number.isFinite(data) ? undefined : { path: at, value: data, keys };
  if (data === null || typeof data !== 'object') return undefined;
  for (const [k, v] of Object.entries(data)) {
    const found = nonFinite(v, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, [...keys, k]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The schema of the property at `keys` (through `properties`), if the schema declares it. */
function schemaAt(schema: unknown, keys: readonly string[]): unknown {
  let s = schema;
  for (const k of keys) {
    const props = (s as { properties?: Record<string, unknown> } | null)?.properties;
    if (props === undefined || typeof props !== 'object' || !Object.hasOwn(props, k)) return undefined;
    s = props[k];
  }
  return s;
}

/**
 * ajv's type coercion turns "Infinity", "-Infinity" and "1e400" into ±Infinity, accepts them as an
 * integer or a number, and skips minimum/maximum for them (its range checks are guarded by
 * isFinite): `?windows=Infinity` reached a handler. A coerced part (querystring, params, headers)
 * holding a non-finite number fails here with a `type` issue, as any other ill-typed value.
 */
export function finiteOnly(validate: CompiledValidator, schema?: unknown): CompiledValidator {
  const checked = ((data: unknown): boolean => {
    if (!validate(data)) {
      checked.errors = validate.errors ?? null;
      return false;
    }
    const found = nonFinite(data, '', []);
    if (found === undefined) {
      checked.errors = null;
      return true;
    }
    const parentSchema = schemaAt(schema, found.keys);
    checked.errors = [
      {
        keyword: 'type',
        instancePath: found.path,
        message: 'must be a finite number',
        params: { type: 'number' },
        data: found.value,
        ...(parentSchema === undefined ? {} : { parentSchema }),
      },
    ];
    return false;
  }) as CompiledValidator;
  return checked;
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
