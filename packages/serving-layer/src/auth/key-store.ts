/**
 * API key store. Keys are never stored, only their SHA-256 (`"sha256:<64 hex>"`), in entries
 * `{name, roles, hash}` given as JSON in AMI_API_KEYS and/or a file named by AMI_API_KEYS_FILE.
 *
 * Why a plain SHA-256 and not scrypt: every key is 256 bits of randomness made by `generateApiKey`,
 * so there is no dictionary to attack and a salt/slow hash adds nothing, while a slow hash would cost
 * every request tens of ms of CPU (and make a flood of bad keys a cheap DoS). A presented key is
 * hashed once and compared with every stored hash in constant time (no early exit, no map lookup).
 *
 * Development mode makes one random key per role at start; the keys are printed once by main.ts
 * and only their hashes are kept.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ROLES, type Role } from '../routes/context.ts';

export interface ApiKeyEntry {
  /** Who holds the key (logged, used as the rate-limit bucket). */
  readonly name: string;
  readonly roles: readonly Role[];
  /** 'sha256:' + lowercase hex of SHA-256(key). */
  readonly hash: string;
}

/** The identity behind a valid key. */
export interface ApiCaller {
  readonly name: string;
  readonly roles: readonly Role[];
}

const HASH_RE = /^sha256:[0-9a-f]{64}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** 'sha256:<hex>' of a key. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new random key: 'ami_' + 43 base64url characters (256 bits). */
export function generateApiKey(tag = ''): string {
  const body = randomBytes(32).toString('base64url');
  return tag === '' ? `ami_${body}` : `ami_${tag}_${body}`;
}

/** Validates a JSON list of key entries (AMI_API_KEYS, key files); throws naming the bad entry. */
export function parseKeyEntries(json: string): ApiKeyEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON array of {name, roles, hash}');
  }
  if (!Array.isArray(doc)) throw new Error('must be a JSON array of {name, roles, hash}');
  return doc.map((e: unknown, i): ApiKeyEntry => {
    const where = `entry ${i}`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`${where}: not an object`);
    const o = e as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !['name', 'roles', 'hash'].includes(k));
    if (extra.length > 0) throw new Error(`${where}: unknown field(s) ${extra.join(', ')}`);
    if (typeof o.name !== 'string' || !NAME_RE.test(o.name))
      throw new Error(`${where}: name must be 1-64 characters of [A-Za-z0-9._@-]`);
    if (!Array.isArray(o.roles) || o.roles.length === 0 || !o.roles.every(isRole))
      throw new Error(`${where} (${o.name}): roles must be a non-empty list of ${ROLES.join(', ')}`);
    if (typeof o.hash !== 'string' || !HASH_RE.test(o.hash))
      throw new Error(`${where} (${o.name}): hash must be "sha256:" + 64 lowercase hex digits`);
    return { name: o.name, roles: [...new Set(o.roles)], hash: o.hash };
  });
}

/** Reads a key file (same JSON as AMI_API_KEYS). */
export async function readKeyFile(path: string): Promise<ApiKeyEntry[]> {
  const text = await readFile(path, 'utf8');
  try {
    return parseKeyEntries(text);
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export interface DevKey {
  readonly role: Role;
  readonly name: string;
  readonly key: string;
}

/** One random key per role, for development; only the entries (hashes) go into the store. */
export function generateDevKeys(): { keys: DevKey[]; entries: ApiKeyEntry[] } {
  const keys = ROLES.map((role): DevKey => ({
    role,
    name: `dev-${role}`,
    key: generateApiKey(`dev_${role}`),
  }));
  return {
    keys,
    entries: keys.map((k) => ({ name: k.name, roles: [k.role], hash: hashApiKey(k.key) })),
  };
}

/** Immutable set of key entries that identifies a presented key in constant time. */
export class KeyStore {
  private readonly digests: readonly { readonly digest: Buffer; readonly caller: ApiCaller }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    const names = new Set<string>();
    const hashes = new Set<string>();
    for (const e of entries) {
      if (names.has(e.name)) throw new Error(`duplicate API key name: ${e.name}`);
      if (hashes.has(e.hash)) throw new Error(`two API key entries share one hash (${e.name})`);
      if (!HASH_RE.test(e.hash)) throw new Error(`bad hash for API key ${e.name}`);
      names.add(e.name);
      hashes.add(e.hash);
    }
    this.digests = entries.map((e) => ({
      digest: Buffer.from(e.hash.slice('sha256:'.length), 'hex'),
      caller: Object.freeze({ name: e.name, roles: Object.freeze([...e.roles]) }),
    }));
  }

  get size(): number {
    return this.digests.length;
  }

  /** The caller of a presented key, or undefined. Compares with every entry (no early exit). */
  identify(key: string): ApiCaller | undefined {
    const presented = createHash('sha256').update(key, 'utf8').digest();
    let found: ApiCaller | undefined;
    for (const d of this.digests) {
      if (timingSafeEqual(presented, d.digest)) found = d.caller;
    }
    return found;
  }
}
