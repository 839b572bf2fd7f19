/**
 * Applies the API's contract to every route as it is registered (an onRoute hook, installed before
 * @fastify/swagger so the document sees the result):
 *  - routes protected by `authorize(roles)` get the `x-api-key` security requirement, their roles in
 *    the description and 401/403 responses; every documented route gets the shared error responses
 *    (400, 429, 500, 503) unless it declares its own, a route with a body 413 and 415 too, one
 *    with path parameters 414;
 *  - JSON responses are validated against the route's response schema before they are sent
 *    (SPEC 6 "every request and response validated"); a mismatch is our bug: logged, answered 500.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { rolesOfPreHandlers } from '../auth/authorize.ts';
import { ApiErrorSchemaWithId, API_ERROR_SCHEMA_ID, errorResponse } from '../errors.ts';
import { responseValidatorCompiler, type CompiledValidator } from './validation.ts';

export const SECURITY_SCHEME = 'apiKey';

const ERROR_RESPONSES: Readonly<Record<string, string>> = {
  400: 'Invalid request (details.issues names each offending field)',
  429: 'Rate limit exceeded (see the retry-after header)',
  500: 'Internal fault (details.requestId identifies it in the logs)',
  503: 'A dependency (Redis, S3) is unavailable or the request timed out',
};
/** Answered by Fastify before any handler runs, for routes that take a body. */
const BODY_RESPONSES: Readonly<Record<string, string>> = {
  413: 'The request body is larger than AMI_API_BODY_LIMIT_BYTES',
  415: 'The request body is not application/json',
};
/** Answered by the router for routes with path parameters (routerOptions.maxParamLength in app.ts). */
const PATH_PARAM_RESPONSES: Readonly<Record<string, string>> = {
  414: 'A path parameter is longer than 200 characters',
};
const AUTH_RESPONSES: Readonly<Record<string, string>> = {
  401: 'Missing or unknown x-api-key',
  403: 'The key lacks the role this route needs',
};

type SchemaMap = Record<string, unknown>;

export interface RouteContractOptions {
  readonly validateResponses: boolean;
}

export function installRouteContract(app: FastifyInstance, opts: RouteContractOptions): void {
  const compile = responseValidatorCompiler({ [API_ERROR_SCHEMA_ID]: ApiErrorSchemaWithId });
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as SchemaMap | undefined;
    if (!schema || schema.hide === true) return;
    const roles = rolesOfPreHandlers(route.preHandler);
    const response: SchemaMap = { ...((schema.response as SchemaMap | undefined) ?? {}) };
    const add = (codes: Readonly<Record<string, string>>) => {
      for (const [code, description] of Object.entries(codes))
        if (response[code] === undefined) response[code] = errorResponse(description);
    };
    add(ERROR_RESPONSES);
    if (schema.body !== undefined) add(BODY_RESPONSES);
    if (route.url.includes(':')) add(PATH_PARAM_RESPONSES);
    const next: SchemaMap = { ...schema, response };
    if (roles) {
      add(AUTH_RESPONSES);
      next.security = [{ [SECURITY_SCHEME]: [] }];
      const line = `Roles: ${roles.join(', ')}.`;
      next.description = typeof schema.description === 'string' ? `${schema.description}\n\n${line}` : line;
    }
    route.schema = next;

    if (!opts.validateResponses || route.method === 'HEAD') return;
    const validators = new Map<string, CompiledValidator>();
    for (const [code, s] of Object.entries(response)) {
      const json = jsonSchemaOf(s);
      if (json !== undefined) validators.set(code, compile(json, route.url));
    }
    const hook = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const status = reply.statusCode;
      const v =
        validators.get(String(status)) ??
        validators.get(`${Math.floor(status / 100)}xx`) ??
        validators.get('default');
      if (!v || payload === null || typeof payload !== 'object' || Buffer.isBuffer(payload)) return payload;
      if (!v(payload)) {
        request.log.error(
          { route: route.url, status, issues: v.errors?.slice(0, 5) },
          'response does not match its schema',
        );
        throw new Error(
          `response of ${String(route.method)} ${route.url} (${status}) does not match its schema`,
        );
      }
      return payload;
    };
    const existing = route.preSerialization;
    route.preSerialization =
      existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}

/** The JSON schema of a response entry (plain schema, or `{content: {'application/json': {schema}}}`). */
function jsonSchemaOf(entry: unknown): unknown {
  if (entry === null || typeof entry !== 'object') return undefined;
  const content = (entry as { content?: Record<string, { schema?: unknown }> }).content;
  if (content !== undefined) return content['application/json']?.schema;
  return entry;
}
