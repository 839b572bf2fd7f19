/**
 * The queue UI's credential rules (src/queues/basic-auth.ts): HTTP Basic parsing, the decision per
 * request with a real key store (x-api-key first, then the Basic password), and the same-origin rule
 * for requests that change the queues.
 */
import { describe, expect, it } from 'vitest';
import { generateDevKeys, KeyStore } from '../src/auth/key-store.ts';
import {
  checkQueueAccess,
  isSameOrigin,
  parseBasicAuth,
  WWW_AUTHENTICATE,
} from '../src/queues/basic-auth.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('parseBasicAuth', () => {
  it('splits user and password at the first colon (passwords may hold colons)', () => {
    expect(parseBasicAuth(basic('op', 'ami_x:y'))).toEqual({ user: 'op', password: 'ami_x:y' });
    expect(parseBasicAuth(basic('', 'key'))).toEqual({ user: '', password: 'key' });
    expect(parseBasicAuth(`basic  ${Buffer.from('a:b').toString('base64')}`)).toEqual({
      user: 'a',
      password: 'b',
    });
  });

  it('rejects other schemes and malformed values', () => {
    expect(parseBasicAuth(undefined)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth('Basic')).toBeNull();
    expect(parseBasicAuth('Basic !!!')).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeNull();
  });

  it('names the realm the browser shows', () => {
    expect(WWW_AUTHENTICATE).toMatch(/^Basic realm="AMI queues"/);
  });
});

describe('isSameOrigin', () => {
  it('admits same-origin browsers and non-browser clients; refuses cross-site pages', () => {
    expect(isSameOrigin({ host: '127.0.0.1:8080' })).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', 'sec-fetch-site': 'same-site' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://evil.example' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'null' })).toBe(false);
  });
});

describe('checkQueueAccess with a real key store', () => {
  const dev = generateDevKeys();
  const keys = new KeyStore(dev.entries);
  const key = (role: string) => dev.keys.find((k) => k.role === role)!.key;
  const identify = (k: string) => keys.identify(k);
  const check = (headers: Record<string, string>, opts: { method?: string; headerKey?: string } = {}) => {
    const caller = opts.headerKey === undefined ? undefined : keys.identify(opts.headerKey);
    return checkQueueAccess({
      method: opts.method ?? 'GET',
      headers: { host: 'api.local', ...headers },
      keyState: opts.headerKey === undefined ? 'none' : caller ? 'valid' : 'unknown',
      caller: caller ?? null,
      identify,
      roles: ['operator'],
    });
  };
  const status = (r: ReturnType<typeof check>) => (r.ok ? 200 : r.status);

  it('takes the operator key as the Basic password, whatever the user name', () => {
    const r = check({ authorization: basic('anyone', key('operator')) });
    expect(r).toEqual({ ok: true, caller: { name: 'dev-operator', roles: ['operator'] } });
  });

  it('401 without credentials, with an unknown key or an empty password; 403 for other roles', () => {
    expect(status(check({}))).toBe(401);
    expect(status(check({ authorization: basic('op', 'ami_not_a_key') }))).toBe(401);
    expect(status(check({ authorization: basic('op', '') }))).toBe(401);
    for (const role of ['dashboard', 'analyst', 'billing', 'editor'])
      expect(status(check({ authorization: basic('op', key(role)) })), role).toBe(403);
  });

  it('lets x-api-key decide when it is present (a wrong header key is not rescued by Basic)', () => {
    expect(status(check({}, { headerKey: key('operator') }))).toBe(200);
    expect(status(check({}, { headerKey: key('dashboard') }))).toBe(403);
    expect(status(check({ authorization: basic('op', key('operator')) }, { headerKey: 'ami_wrong' }))).toBe(
      401,
    );
  });

  it('refuses cross-site changes but not cross-site reads', () => {
    const auth = { authorization: basic('op', key('operator')) };
    expect(status(check({ ...auth, 'sec-fetch-site': 'cross-site' }, { method: 'PUT' }))).toBe(403);
    expect(status(check({ ...auth, origin: 'http://evil.example' }, { method: 'POST' }))).toBe(403);
    expect(status(check({ ...auth, origin: 'http://api.local' }, { method: 'PUT' }))).toBe(200);
    expect(status(check({ ...auth, 'sec-fetch-site': 'cross-site' }, { method: 'GET' }))).toBe(200);
  });

  it('refuses Basic credentials when the app gives no way to check them', () => {
    const r = checkQueueAccess({
      method: 'GET',
      headers: { authorization: basic('op', key('operator')) },
      keyState: 'none',
      caller: null,
      identify: undefined,
      roles: ['operator'],
    });
    expect(r.ok ? 200 : r.status).toBe(401);
  });
});
