/**
 * Which local dates the realtime view still holds. Each partition registers the dates it has keys
 * of in its day registry (keys.ts `daysKey`; the retention sweep removes a date when it drops it),
 * and its fence's `retainFrom` is the oldest date retention still keeps (write.lua refuses older
 * reads). A request for many dates after a stale watermark thus costs one HKEYS per partition, not
 * one GET per date.
 */
import { daysKey, fenceKey } from '../keys.ts';
import type { RealtimeViewOptions } from './options.ts';

/** The subset of `dates` that any of `partitions` registers, in the order given. */
export async function heldDates(
  view: RealtimeViewOptions,
  partitions: readonly number[],
  dates: readonly string[],
): Promise<string[]> {
  if (dates.length === 0) return [];
  // One HKEYS per partition sent together (not a pipeline: in a Redis Cluster the partitions' hash
  // tags put the registries on different nodes, and an ioredis pipeline must stay on one node).
  const registries = await Promise.all(partitions.map((p) => view.redis.hkeys(daysKey(view.keyPrefix, p))));
  const held = new Set<string>();
  for (const keys of registries) for (const d of keys) held.add(d);
  return dates.filter((d) => held.has(d));
}

/**
 * Whether local date `date` is still provisionally available: some partition registers it and no
 * partition's retention has moved past it (an expired or never held day is not — a reader must
 * not report zeros for it).
 */
export async function isDateAvailable(view: RealtimeViewOptions, date: string): Promise<boolean> {
  let registered = false;
  for (let p = 0; p < view.partitions; p++) {
    const [held, retainFrom] = await Promise.all([
      view.redis.hexists(daysKey(view.keyPrefix, p), date),
      view.redis.hget(fenceKey(view.keyPrefix, p), 'retainFrom'),
    ]);
    if (retainFrom !== null && date < retainFrom) return false;
    if (held === 1) registered = true;
  }
  return registered;
}
