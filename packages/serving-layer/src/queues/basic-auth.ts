/**
 * Credentials of the queue UI (/queues). A browser navigating to a page cannot send the x-api-key
 * header, so there the API key is also accepted as the password of HTTP Basic auth (any user
 * name); a 401 carries `WWW-Authenticate: Basic` so the browser asks for it. The key is checked by
 * the API's key store (constant-time against every stored hash), exactly like x-api-key.
 *
 * Because a browser re-sends Basic credentials on its own, requests that change something (any
 * method but GET/HEAD/OPTIONS) must come from the same origin: a cross-site page cannot make the
 * operator's browser retry, clean or obliterate jobs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiCaller } from '../auth/key-store.ts';
import { API_KEY_HEADER } from '../auth/authorize.ts';
import type { ApiErrorBody } from '../errors.ts';
import type { Role } from '../routes/context.ts';

export const BASIC_REALM = 'AMI queues';
export const WWW_AUTHENTICATE = `Basic realm="${BASIC_REALM}", charset="UTF-8"`;

/** Pure: user and password of an `Authorization: Basic …` header, or null when it is not one. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null;
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Pure: whether a state-changing request comes from the page's own origin. Browsers send
 * `Sec-Fetch-Site` (and `Origin` on POST/PUT/DELETE); clients that send neither (curl, scripts)
 * are not browsers carrying someone else's credentials and pass.
 */
export function isSameOrigin(headers: FastifyRequest['headers']): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = headers.origin;
  if (typeof origin !== 'string') return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host === headers.host;
}

export type QueueAuthResult =
  | { readonly ok: true; readonly caller: ApiCaller }
  | { readonly ok: false; readonly status: 401 | 403; readonly body: ApiErrorBody };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Pure decision for one request: the x-api-key header when present (already resolved by the app's
 * identifyCaller hook into `keyState`/`caller`), else the Basic password looked up with `identify`.
 */
export function checkQueueAccess(input: {
  readonly method: string;
  readonly headers: FastifyRequest['headers'];
  readonly keyState: 'none' | 'unknown' | 'valid';
  readonly caller: ApiCaller | null;
  readonly identify: ((key: string) => ApiCaller | undefined) | undefined;
  readonly roles: readonly Role[];
}): QueueAuthResult {
  let caller = input.keyState === 'valid' ? input.caller : null;
  let state = input.keyState;
  if (state === 'none') {
    const basic = parseBasicAuth(input.headers.authorization);
    if (basic !== null && basic.password !== '') {
      caller = input.identify?.(basic.password) ?? null;
      state = caller ? 'valid' : 'unknown';
    }
  }
  if (state === 'none')
    return {
      ok: false,
      status: 401,
      body: {
        error: 'unauthorized',
        message: `missing credentials: send an operator API key as the ${API_KEY_HEADER} header or as the password of HTTP Basic auth`,
        details: { header: API_KEY_HEADER, basicRealm: BASIC_REALM },
      },
    };
  if (state !== 'valid' || caller === null)
    return {
      ok: false,
      status: 401,
      body: {
        error: 'unauthorized',
        message: 'unknown API key',
        details: { header: API_KEY_HEADER, basicRealm: BASIC_REALM },
      },
    };
  if (!caller.roles.some((r) => input.roles.includes(r)))
    return {
      ok: false,
      status: 403,
      body: {
        error: 'forbidden',
        message: `this route needs one of the roles: ${input.roles.join(', ')}`,
        details: { requiredRoles: [...input.roles] },
      },
    };
  if (!SAFE_METHODS.has(input.method.toUpperCase()) && !isSameOrigin(input.headers))
    return {
      ok: false,
      status: 403,
      body: {
        error: 'forbidden',
        message: 'cross-site requests may not change the queues',
        details: { origin: input.headers.origin ?? null },
      },
    };
  return { ok: true, caller };
}

/**
 * onRequest hook of every /queues route: answers 401 (with WWW-Authenticate) or 403 itself, so no
 * error handler is involved (bull-board installs its own in its routes' scope).
 */
export function queueAccessHook(
  identify: ((key: string) => ApiCaller | undefined) | undefined,
  roles: readonly Role[],
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const r = checkQueueAccess({
      method: request.method,
      headers: request.headers,
      keyState: request.apiKeyState,
      caller: request.apiCaller,
      identify,
      roles,
    });
    if (r.ok) {
      request.apiCaller = r.caller;
      return undefined;
    }
    if (r.status === 401) void reply.header('www-authenticate', WWW_AUTHENTICATE);
    return reply.code(r.status).send(r.body);
  };
}
