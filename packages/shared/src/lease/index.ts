/**
 * @ami/shared/lease — leases (locks with an owner and a TTL) in Redis, the one implementation
 * every lock holder of the platform uses (the alert engine's evaluation and outbox leases, the
 * batch layer's per-day build lock).
 *
 * A lease is one string key whose value is the holder's owner token, with a PX TTL. Taking it
 * succeeds when the key is absent or already the owner's; renewing, releasing and a lease-guarded
 * write act only while the key still holds the owner's token, each as one Lua script
 * (acquire.lua, renew.lua, release.lua, renew-and-set.lua beside this module), so a holder whose
 * lease expired and was taken by another can neither extend, delete nor write under it. A crashed
 * holder's lease expires by itself. Works on a single Redis and on a Redis Cluster (one key per
 * lease; a guarded write's key must share the lease's hash tag).
 */
import { redisScript } from '../clients/redis-scripts.ts';
import type { RedisClient } from '../clients/redis.ts';
import {
  checkLeaseRef,
  leaseReply,
  renewalIntervalMs,
  ttlArg,
  type LeaseRef,
  type LeaseSpec,
} from './spec.ts';

export { MIN_RENEW_EVERY_MS, renewalIntervalMs, type LeaseRef, type LeaseSpec } from './spec.ts';

const ACQUIRE = redisScript('amiLeaseAcquire', new URL('./acquire.lua', import.meta.url));
const RENEW = redisScript('amiLeaseRenew', new URL('./renew.lua', import.meta.url));
const RELEASE = redisScript('amiLeaseRelease', new URL('./release.lua', import.meta.url));
const RENEW_AND_SET = redisScript('amiLeaseRenewAndSet', new URL('./renew-and-set.lua', import.meta.url));

/** Takes the lease for its owner (true), or false when another owner holds it. */
export async function acquireLease(redis: RedisClient, lease: LeaseSpec): Promise<boolean> {
  const ttl = ttlArg(lease);
  return leaseReply(await ACQUIRE.run(redis, [lease.key], [lease.owner, ttl]));
}

/** Starts the lease's TTL again if its owner still holds it (true), else false. */
export async function renewLease(redis: RedisClient, lease: LeaseSpec): Promise<boolean> {
  const ttl = ttlArg(lease);
  return leaseReply(await RENEW.run(redis, [lease.key], [lease.owner, ttl]));
}

/** Deletes the lease if its owner still holds it (true), else leaves it (false). */
export async function releaseLease(redis: RedisClient, lease: LeaseRef): Promise<boolean> {
  checkLeaseRef(lease);
  return leaseReply(await RELEASE.run(redis, [lease.key], [lease.owner]));
}

/**
 * Sets `key` to `value` and renews the lease, atomically, only if the owner still holds the lease
 * (true); false (nothing written) otherwise. In a Redis Cluster `key` must share the lease key's
 * hash tag.
 */
export async function renewLeaseAndSet(
  redis: RedisClient,
  lease: LeaseSpec,
  key: string,
  value: string,
): Promise<boolean> {
  const ttl = ttlArg(lease);
  return leaseReply(await RENEW_AND_SET.run(redis, [lease.key, key], [lease.owner, value, ttl]));
}

/** The owner token holding the lease `key`, or null when nobody does. */
export function leaseHolder(redis: RedisClient, key: string): Promise<string | null> {
  return redis.get(key);
}

/**
 * Renews the lease every `everyMs` (default: three times per TTL) until the returned function is
 * called. A failed or refused renewal is ignored (the holder finds out when it next checks or
 * writes under the lease). The timer does not keep the process alive.
 */
export function keepRenewing(
  redis: RedisClient,
  lease: LeaseSpec,
  everyMs: number = renewalIntervalMs(lease.ttlMs),
): () => void {
  ttlArg(lease);
  const timer = setInterval(() => {
    renewLease(redis, lease).catch(() => undefined);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A lease taken with `holdLease`, renewed in the background until released. */
export interface HeldLease extends LeaseSpec {
  /** Stops renewing and deletes the lease if still held by its owner. */
  release(): Promise<void>;
}

/** Takes the lease and keeps renewing it until released; null when another owner holds it. */
export async function holdLease(redis: RedisClient, lease: LeaseSpec): Promise<HeldLease | null> {
  if (!(await acquireLease(redis, lease))) return null;
  const stop = keepRenewing(redis, lease);
  return {
    key: lease.key,
    owner: lease.owner,
    ttlMs: lease.ttlMs,
    release: async () => {
      stop();
      await releaseLease(redis, lease);
    },
  };
}
