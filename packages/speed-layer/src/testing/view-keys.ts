/**
 * Test fixture: the Redis keys of one run's realtime view and alert store — listing and deleting
 * them after a test, writing the few values tests set by hand (an engine instance's watermark
 * report, a partition's retention fence), and the key names of a realtime view for tests that
 * craft keys directly (the replay command's test).
 */
import type { RedisClient } from '@ami/shared/clients';
import { alertKeys } from '../alerts/keys.ts';
import { fenceKey } from '../realtime-view/keys.ts';
import { listViewKeys, unlinkKeys } from '../realtime-view/view-keys.ts';

export { daysKey, fenceKey, gridDayKey, meterDayKey } from '../realtime-view/keys.ts';

/** Every key of the realtime view of `keyPrefix` (fences included). */
export async function realtimeViewKeys(redis: RedisClient, keyPrefix: string): Promise<string[]> {
  const { fences, others } = await listViewKeys(redis, keyPrefix);
  return [...fences, ...others];
}

/** Deletes the realtime view of `keyPrefix`; returns how many keys there were. */
export async function deleteRealtimeView(redis: RedisClient, keyPrefix: string): Promise<number> {
  const keys = await realtimeViewKeys(redis, keyPrefix);
  await unlinkKeys(redis, keys);
  return keys.length;
}

/** Every key of the alert store of `alertKeyPrefix` (they share one hash tag, so one slot). */
export function alertStoreKeys(redis: RedisClient, alertKeyPrefix: string): Promise<string[]> {
  return redis.keys(`${alertKeys(alertKeyPrefix).tag}:*`);
}

/** Deletes the alert store of `alertKeyPrefix`; returns how many keys there were. */
export async function deleteAlertStore(redis: RedisClient, alertKeyPrefix: string): Promise<number> {
  const keys = await alertStoreKeys(redis, alertKeyPrefix);
  if (keys.length > 0) await redis.del(...keys);
  return keys.length;
}

/** Writes an engine instance's watermark report as AlertEngine does (`<watermark>:<reported at>`). */
export async function reportAlertWatermark(
  redis: RedisClient,
  alertKeyPrefix: string,
  instanceId: string,
  watermarkMs: number,
  reportedAtMs: number,
): Promise<void> {
  await redis.hset(alertKeys(alertKeyPrefix).watermarks, instanceId, `${watermarkMs}:${reportedAtMs}`);
}

/** Moves a partition's retention fence (`retainFrom`) to `date`, as a retention sweep would. */
export async function setRetainFrom(
  redis: RedisClient,
  keyPrefix: string,
  partition: number,
  date: string,
): Promise<void> {
  await redis.hset(fenceKey(keyPrefix, partition), 'retainFrom', date);
}
