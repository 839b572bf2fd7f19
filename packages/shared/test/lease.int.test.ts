// @ami/shared/lease against the real Redis: while one owner holds a lease, a second owner can
// neither take, renew, release nor write under it; after the lease expires the second owner takes
// it and the first can no longer renew or release it. holdLease keeps a lease past its TTL until
// released.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@ami/shared/clients';
import {
  acquireLease,
  holdLease,
  keepRenewing,
  leaseHolder,
  releaseLease,
  renewLease,
  renewLeaseAndSet,
} from '@ami/shared/lease';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';

describe('lease against real Redis', () => {
  const redis = createRedis(integrationConfig(), { connectionName: 'shared-lease-it' });
  const prefix = uniqueName('lease');
  const used: string[] = [];
  const key = (name: string): string => {
    const k = `{${prefix}}:${name}`;
    used.push(k);
    return k;
  };

  afterAll(async () => {
    if (used.length > 0) await redis.del(...used);
    redis.disconnect();
  });

  /** Waits until `k` is gone (its TTL ran out), at most `maxMs`. */
  async function untilExpired(k: string, maxMs = 5_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while ((await redis.exists(k)) === 1) {
      if (Date.now() > deadline) throw new Error(`${k} did not expire`);
      await sleep(20);
    }
  }

  it('refuses a second owner while the first holds the lease', async () => {
    const k = key('held');
    const a = { key: k, owner: 'owner-a', ttlMs: 30_000 };
    const b = { key: k, owner: 'owner-b', ttlMs: 30_000 };
    expect(await acquireLease(redis, a)).toBe(true);
    expect(await acquireLease(redis, b)).toBe(false);
    expect(await renewLease(redis, b)).toBe(false);
    expect(await releaseLease(redis, b)).toBe(false);
    const cursor = key('held-cursor');
    expect(await renewLeaseAndSet(redis, b, cursor, 'from-b')).toBe(false);
    expect(await redis.get(cursor)).toBeNull();
    expect(await leaseHolder(redis, k)).toBe('owner-a');
    expect(await redis.pttl(k)).toBeGreaterThan(25_000);

    // The holder may take it again (a renewal), renew it, write under it and release it.
    expect(await acquireLease(redis, a)).toBe(true);
    expect(await renewLease(redis, a)).toBe(true);
    expect(await renewLeaseAndSet(redis, a, cursor, 'from-a')).toBe(true);
    expect(await redis.get(cursor)).toBe('from-a');
    expect(await releaseLease(redis, a)).toBe(true);
    expect(await leaseHolder(redis, k)).toBeNull();
    expect(await acquireLease(redis, b)).toBe(true);
    expect(await leaseHolder(redis, k)).toBe('owner-b');
  });

  it('lets a second owner take an expired lease, and the first can then neither renew nor release it', async () => {
    const k = key('expiring');
    const a = { key: k, owner: 'owner-a', ttlMs: 200 };
    const b = { key: k, owner: 'owner-b', ttlMs: 30_000 };
    expect(await acquireLease(redis, a)).toBe(true);
    expect(await acquireLease(redis, b)).toBe(false);
    await untilExpired(k);
    expect(await renewLease(redis, a)).toBe(false);
    expect(await acquireLease(redis, b)).toBe(true);
    expect(await renewLease(redis, a)).toBe(false);
    expect(await releaseLease(redis, a)).toBe(false);
    expect(await renewLeaseAndSet(redis, a, key('expiring-cursor'), 'late')).toBe(false);
    expect(await redis.get(key('expiring-cursor'))).toBeNull();
    expect(await leaseHolder(redis, k)).toBe('owner-b');
  });

  it('holdLease renews past the TTL until released; another owner gets null meanwhile', async () => {
    const k = key('hold');
    const held = await holdLease(redis, { key: k, owner: 'owner-a', ttlMs: 1_000 });
    expect(held).not.toBeNull();
    expect(await holdLease(redis, { key: k, owner: 'owner-b', ttlMs: 1_000 })).toBeNull();
    await sleep(2_500); // two and a half TTLs: only the renewals keep it
    expect(await leaseHolder(redis, k)).toBe('owner-a');
    await held?.release();
    expect(await leaseHolder(redis, k)).toBeNull();
    const taken = await holdLease(redis, { key: k, owner: 'owner-b', ttlMs: 300 });
    expect(taken?.owner).toBe('owner-b');
    await taken?.release();
  });

  it('keepRenewing cannot revive a lease another owner took', async () => {
    const k = key('revive');
    const a = { key: k, owner: 'owner-a', ttlMs: 200 };
    expect(await acquireLease(redis, a)).toBe(true);
    await untilExpired(k);
    expect(await acquireLease(redis, { key: k, owner: 'owner-b', ttlMs: 30_000 })).toBe(true);
    const stop = keepRenewing(redis, a, 50);
    await sleep(200);
    stop();
    expect(await leaseHolder(redis, k)).toBe('owner-b');
  });
});
