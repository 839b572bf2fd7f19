/**
 * Resetting the dirty-day marks under one prefix, so that callers outside the batch layer (tests,
 * operator tooling) need not know the Redis key that holds them.
 */
import type { RedisClient } from '@ami/shared/clients';
import { DirtyDays } from '../archiver/dirty-days.ts';

/** Removes every dirty-day mark under `prefix` (AMI_ARCHIVER_DIRTY_KEY_PREFIX). */
export async function clearDirtyDays(redis: RedisClient, prefix: string): Promise<void> {
  await redis.del(new DirtyDays(redis, prefix).key);
}
