/**
 * Every key of one realtime view (one AMI_SPEED_KEY_PREFIX): recognising them, listing them with a
 * SCAN (fences apart) and deleting them — what `ami speed replay` and test clean-ups need.
 */
import { scanKeys, type RedisClient } from '@ami/shared/clients';

/** Partition of a realtime-view key of `prefix` (`{prefix:p}:…`), or null for any other key. */
export function realtimeViewPartition(prefix: string, key: string): number | null {
  const head = `{${prefix}:`;
  if (!key.startsWith(head)) return null;
  const m = /^(\d+)\}:./.exec(key.slice(head.length));
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** True for the offset fence of a partition (`{prefix:p}:fence`). */
export function isFenceKey(prefix: string, key: string): boolean {
  const p = realtimeViewPartition(prefix, key);
  return p !== null && key === `{${prefix}:${p}}:fence`;
}

/** Every realtime-view key of `prefix`, fences apart (SCAN; each key once). */
export async function listViewKeys(
  redis: RedisClient,
  prefix: string,
): Promise<{ fences: string[]; others: string[] }> {
  const fences = new Set<string>();
  const others = new Set<string>();
  for await (const batch of scanKeys(redis, `{${prefix}:*`)) {
    for (const key of batch) {
      if (realtimeViewPartition(prefix, key) === null) continue;
      (isFenceKey(prefix, key) ? fences : others).add(key);
    }
  }
  return { fences: [...fences], others: [...others] };
}

/** One UNLINK per key: keys of different partitions lie in different cluster slots. */
export async function unlinkKeys(redis: RedisClient, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const k of keys.slice(i, i + 500)) pipeline.unlink(k);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
}
