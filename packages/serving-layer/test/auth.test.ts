/**
 * API keys (hashed store, parsing, dev keys), customer pseudonyms and the auth settings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ami/shared/config';
import {
  createPseudonymiser,
  generateApiKey,
  generateDevKeys,
  hashApiKey,
  KeyStore,
  parseKeyEntries,
  readKeyFile,
} from '../src/auth/index.ts';
import { ROLES } from '../src/routes/context.ts';
import { loadServingSettings } from '../src/settings.ts';

describe('API key store', () => {
  it('identifies a key by its SHA-256 and never holds the key itself', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    const store = new KeyStore([
      { name: 'grafana', roles: ['dashboard'], hash: hashApiKey(a) },
      { name: 'billing-run', roles: ['billing', 'analyst'], hash: hashApiKey(b) },
    ]);
    expect(store.identify(a)).toEqual({ name: 'grafana', roles: ['dashboard'] });
    expect(store.identify(b)).toEqual({ name: 'billing-run', roles: ['billing', 'analyst'] });
    expect(store.identify(generateApiKey())).toBeUndefined();
    expect(store.identify('')).toBeUndefined();
    expect(store.identify(a.slice(0, -1))).toBeUndefined();
    expect(hashApiKey(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(store)).not.toContain(a);
  });

  it('makes 256-bit keys that differ every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateApiKey()));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^ami_[A-Za-z0-9_-]{43}$/);
  });

  it('rejects duplicate names and duplicate hashes', () => {
    const h = hashApiKey('x');
    expect(
      () =>
        new KeyStore([
          { name: 'a', roles: ['analyst'], hash: h },
          { name: 'a', roles: ['analyst'], hash: hashApiKey('y') },
        ]),
    ).toThrow(/duplicate API key name/);
    expect(
      () =>
        new KeyStore([
          { name: 'a', roles: ['analyst'], hash: h },
          { name: 'b', roles: ['billing'], hash: h },
        ]),
    ).toThrow(/share one hash/);
  });

  it('parses the AMI_API_KEYS format and names the bad entry', () => {
    const h = hashApiKey('k');
    expect(
      parseKeyEntries(JSON.stringify([{ name: 'ops', roles: ['operator', 'operator'], hash: h }])),
    ).toEqual([{ name: 'ops', roles: ['operator'], hash: h }]);
    expect(() => parseKeyEntries('{')).toThrow(/JSON array/);
    expect(() => parseKeyEntries('{"name":"x"}')).toThrow(/JSON array/);
    expect(() => parseKeyEntries(JSON.stringify([{ name: 'x', roles: ['root'], hash: h }]))).toThrow(
      /entry 0 \(x\): roles/,
    );
    expect(() => parseKeyEntries(JSON.stringify([{ name: 'x', roles: [], hash: h }]))).toThrow(/roles/);
    expect(() =>
      parseKeyEntries(JSON.stringify([{ name: 'x', roles: ['analyst'], hash: 'md5:abc' }])),
    ).toThrow(/hash must be/);
    expect(() =>
      parseKeyEntries(JSON.stringify([{ name: 'x', roles: ['analyst'], hash: h, key: 'plain' }])),
    ).toThrow(/unknown field\(s\) key/);
    expect(() => parseKeyEntries(JSON.stringify([{ name: '../x', roles: ['analyst'], hash: h }]))).toThrow(
      /name/,
    );
  });

  it('reads a key file and reports its path when it is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-keys-'));
    try {
      const good = join(dir, 'keys.json');
      writeFileSync(good, JSON.stringify([{ name: 'a', roles: ['editor'], hash: hashApiKey('z') }]));
      expect(await readKeyFile(good)).toHaveLength(1);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '[{"name":"a"}]');
      await expect(readKeyFile(bad)).rejects.toThrow(bad);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('development mode makes one distinct key per role, each identified with only its role', () => {
    const dev = generateDevKeys();
    expect(dev.keys.map((k) => k.role)).toEqual([...ROLES]);
    const store = new KeyStore(dev.entries);
    for (const k of dev.keys)
      expect(store.identify(k.key)).toEqual({ name: `dev-${k.role}`, roles: [k.role] });
    expect(JSON.stringify(dev.entries)).not.toContain(dev.keys[0]?.key);
    const again = generateDevKeys();
    expect(again.keys.map((k) => k.key)).not.toEqual(dev.keys.map((k) => k.key));
  });
});

describe('customer pseudonyms', () => {
  it('are stable for one secret, differ between ids and between secrets, and hide the id', () => {
    const p = createPseudonymiser('secret-number-one-0123');
    const q = createPseudonymiser('secret-number-two-0123');
    expect(p('CUST-000123')).toBe(p('CUST-000123'));
    expect(p('CUST-000123')).toMatch(/^cust-[0-9a-v]{20}$/);
    expect(p('CUST-000123')).not.toBe(p('CUST-000124'));
    expect(p('CUST-000123')).not.toBe(q('CUST-000123'));
    expect(p('CUST-000123')).not.toContain('000123');
    const many = new Set(Array.from({ length: 2000 }, (_, i) => p(`CUST-${i}`)));
    expect(many.size).toBe(2000);
  });

  it('refuse a short secret', () => {
    expect(() => createPseudonymiser('short')).toThrow(/16 characters/);
  });
});

describe('serving settings', () => {
  it('have safe defaults: no keys, no dev keys, limits on', () => {
    const s = loadServingSettings({});
    expect(s).toMatchObject({
      host: '127.0.0.1',
      apiKeys: [],
      apiKeysFile: '',
      devKeys: false,
      bodyLimitBytes: 1024 * 1024,
      metricsPublic: true,
      validateResponses: true,
    });
    expect(s.rateLimitPerMin).toBeGreaterThan(0);
    expect(s.cacheDir).toMatch(/api-cache$/);
  });

  it('parse AMI_API_KEYS and report every bad variable at once', () => {
    const h = hashApiKey('q');
    const s = loadServingSettings({
      AMI_API_KEYS: JSON.stringify([{ name: 'a', roles: ['billing'], hash: h }]),
    });
    expect(s.apiKeys).toEqual([{ name: 'a', roles: ['billing'], hash: h }]);
    try {
      loadServingSettings({
        AMI_API_KEYS: '[{"name":"a","roles":["god"],"hash":"x"}]',
        AMI_API_PSEUDONYM_SECRET: 'short',
        AMI_API_RATE_LIMIT_PER_MIN: '-1',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.env).sort()).toEqual([
        'AMI_API_KEYS',
        'AMI_API_PSEUDONYM_SECRET',
        'AMI_API_RATE_LIMIT_PER_MIN',
      ]);
    }
  });
});
