/* global sessionStorage, history, location, fetch, URLSearchParams, DOMException */
/**
 * The dashboard's access to the JSON API: the API key (taken once from the URL fragment
 * `#key=…`, which is then removed from the address bar, or from the key form; kept in
 * sessionStorage for the tab only) and GET requests that send it in the x-api-key header.
 */

const STORAGE_KEY = 'ami.dashboard.apiKey';

/** The key in a URL fragment such as `#key=ami_…` (other fragment parameters are ignored). */
export function keyFromFragment(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ''));
  const key = params.get('key');
  return key === null || key.trim() === '' ? null : key.trim();
}

/** Moves a key from the fragment into sessionStorage; returns the key to use (or null). */
export function takeKey() {
  const fromFragment = keyFromFragment(location.hash);
  if (fromFragment !== null) {
    sessionStorage.setItem(STORAGE_KEY, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** A non-2xx answer: `status` and the API's `{error, message}`. */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && typeof body.error === 'string' ? body.error : 'http_error';
  }
}

/** GET `path` (with its query) as JSON. */
export async function apiGet(key, path, signal) {
  const res = await fetch(path, { headers: { 'x-api-key': key, accept: 'application/json' }, signal });
  let body;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  // A request aborted while its body was read belongs to a stopped view (a refused or replaced
  // key): report the abort, not a body-less failure that would be taken for the current key's.
  if (signal?.aborted) throw new DOMException('request aborted', 'AbortError');
  if (!res.ok) throw new ApiFailure(res.status, body);
  return body;
}

/** Whether an error means the key itself is the problem (ask for another one). */
export function isKeyProblem(err) {
  return err instanceof ApiFailure && (err.status === 401 || err.status === 403);
}
