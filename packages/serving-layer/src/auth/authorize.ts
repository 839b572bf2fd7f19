/**
 * Request authentication and role checks (SPEC 6).
 *
 * - `identifyCaller` (an onRequest hook installed by app.ts, before rate limiting) resolves the
 *   `x-api-key` header once per request into `request.apiCaller` / `request.apiKeyState`.
 * - `authorize(roles)` builds the preHandler route modules put on each route: no key → 401, unknown
 *   key → 401, a key without any of the roles → 403. The roles are attached to the function so the
 *   app documents them in OpenAPI (security requirement, 401/403 responses, "Roles:" line).
 * - `customerIdFor(request, id)`: the real customer id for billing/operator callers, the stable
 *   pseudonym for everyone else.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { forbidden, unauthorized } from '../errors.ts';
import type { Role } from '../routes/context.ts';
import type { ApiCaller, KeyStore } from './key-store.ts';
import type { Pseudonymiser } from './pseudonym.ts';

export const API_KEY_HEADER = 'x-api-key';

export type ApiKeyState = 'none' | 'unknown' | 'valid';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller of a valid x-api-key, else null. */
    apiCaller: ApiCaller | null;
    apiKeyState: ApiKeyState;
  }
  interface FastifyInstance {
    /** Stable keyed pseudonym of a customer id (AMI_API_PSEUDONYM_SECRET). */
    pseudonymiseCustomerId: Pseudonymiser;
  }
}

/** Roles that may see customer identifiers in clear (SPEC 6). */
export const CUSTOMER_ID_ROLES: readonly Role[] = ['billing', 'operator'];

const ROLES_TAG = Symbol.for('ami.serving.authorizeRoles');

type TaggedHandler = preHandlerAsyncHookHandler & { [ROLES_TAG]?: readonly Role[] };

export function identifyCaller(keys: KeyStore) {
  return (request: FastifyRequest): Promise<void> => {
    const raw = request.headers[API_KEY_HEADER];
    if (raw === undefined || raw === '') {
      request.apiKeyState = 'none';
      return Promise.resolve();
    }
    const caller = typeof raw === 'string' ? keys.identify(raw) : undefined;
    request.apiCaller = caller ?? null;
    request.apiKeyState = caller ? 'valid' : 'unknown';
    return Promise.resolve();
  };
}

/** The preHandler admitting callers holding any of `roles`. */
export function authorize(roles: readonly Role[]): preHandlerAsyncHookHandler {
  if (roles.length === 0) throw new Error('authorize() needs at least one role');
  const allowed = [...roles];
  const handler: TaggedHandler = function authorizeHandler(request) {
    if (request.apiKeyState === 'none')
      return Promise.reject(unauthorized(`missing ${API_KEY_HEADER} header`, { header: API_KEY_HEADER }));
    const caller = request.apiCaller;
    if (request.apiKeyState !== 'valid' || !caller)
      return Promise.reject(unauthorized('unknown API key', { header: API_KEY_HEADER }));
    if (!caller.roles.some((r) => allowed.includes(r)))
      return Promise.reject(
        forbidden(`this route needs one of the roles: ${allowed.join(', ')}`, { requiredRoles: allowed }),
      );
    return Promise.resolve();
  };
  handler[ROLES_TAG] = Object.freeze(allowed);
  return handler;
}

/** Roles required by the `authorize` handlers among a route's preHandlers (undefined = public). */
export function rolesOfPreHandlers(preHandler: unknown): readonly Role[] | undefined {
  const list: unknown[] = Array.isArray(preHandler)
    ? preHandler
    : preHandler === undefined
      ? []
      : [preHandler];
  for (const h of list) {
    if (typeof h === 'function' && ROLES_TAG in h) return (h as TaggedHandler)[ROLES_TAG];
  }
  return undefined;
}

export function callerOf(request: FastifyRequest): ApiCaller | null {
  return request.apiCaller;
}

/** The customer id as the caller may see it: clear for billing/operator, pseudonymised otherwise. */
export function customerIdFor(request: FastifyRequest, customerId: string): string {
  const caller = request.apiCaller;
  if (caller && caller.roles.some((r) => CUSTOMER_ID_ROLES.includes(r))) return customerId;
  return request.server.pseudonymiseCustomerId(customerId);
}
