/**
 * The retention sweep (I/O around policy.ts): per partition, read the registry of dates and the
 * fence, decide, then drop. A drop first moves the fence's `retainFrom` (so write.lua stops
 * writing that date: a late read cannot recreate a dropped day), then deletes the date's keys
 * with SCAN (on every master of a Redis Cluster) + UNLINK, then removes the date from the registry. A crash in between is repaired by
 * the next sweep, which sees the date still registered and deletes again. Safe to run from several
 * instances at once (every step is idempotent); the consumer runs it on a timer.
 */
import { scanKeys, type RedisClient } from '@ami/shared/clients';
import type { Logger } from '@ami/shared/log';
import { daysKey, fenceKey, partitionTag } from '../realtime-view/keys.ts';
import { RAISE_RETAIN_FROM_SCRIPT } from '../redis-scripts.ts';
import { decideRetention, type RetentionPolicy } from './policy.ts';

/** What the batch layer has published, as retention needs it (from one catalog snapshot). */
export interface BatchPublished {
  /** The batch watermark (for the metric and logs), null when nothing is published. */
  readonly watermarkMs: number | null;
  /** Whether the batch layer answers local day `date` (`PublishedDays.isBatchDay`). */
  readonly isBatchDay: (date: string) => boolean;
}

/**
 * Where the batch state comes from (the catalog). A bare number is a watermark alone (every day
 * ending at or before it counts as published); null = unknown (only the cap drops).
 */
export type BatchWatermarkSource = () => Promise<BatchPublished | number | null>;

export interface SweepOptions {
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  /** Partitions of the reads topic: all of them are swept (0 … partitionCount − 1). */
  readonly partitionCount: number;
  readonly policy: RetentionPolicy;
  readonly batchWatermark: BatchWatermarkSource;
  /** Allowed lateness: partition watermark = fence maxEventMs − this. */
  readonly allowedLatenessMs: number;
  readonly nowMs: number;
  readonly logger?: Logger;
}

export interface SweepResult {
  readonly droppedDays: number;
  readonly droppedUncoveredDays: number;
  readonly deletedKeys: number;
  readonly batchWatermarkMs: number | null;
}

/** Hash of date → first time the sweep saw it covered by the batch (shared by all partitions). */
export function coveredSinceKey(prefix: string): string {
  return `{${prefix}}:retention:covered`;
}

/**
 * SCAN runs per node (every master of a cluster); the keys found share the partition's hash tag,
 * so one UNLINK per batch stays within one slot.
 */
async function deleteDate(redis: RedisClient, tag: string, date: string): Promise<number> {
  let deleted = 0;
  for (const kind of ['m', 'g']) {
    for await (const keys of scanKeys(redis, `${tag}:${kind}:*:${date}`))
      deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/** The watermark and, when the source knows the published days, the per-day rule. */
function batchStateOf(b: BatchPublished | number | null): {
  watermarkMs: number | null;
  isBatchDay?: (date: string) => boolean;
} {
  return b === null || typeof b === 'number' ? { watermarkMs: b } : b;
}

export async function sweepRetention(opts: SweepOptions): Promise<SweepResult> {
  const { redis, keyPrefix, policy, nowMs } = opts;
  const { watermarkMs: batchWatermarkMs, isBatchDay } = batchStateOf(await opts.batchWatermark());
  const coveredKey = coveredSinceKey(keyPrefix);
  const coveredRaw = await redis.hgetall(coveredKey);
  const coveredSinceMs = new Map(Object.entries(coveredRaw).map(([d, ms]) => [d, Number(ms)]));
  let droppedDays = 0;
  let droppedUncoveredDays = 0;
  let deletedKeys = 0;
  const partitions = Array.from({ length: opts.partitionCount }, (_, p) => p);
  for (const p of partitions) {
    const tag = partitionTag(keyPrefix, p);
    const [dates, maxEventMs] = await Promise.all([
      redis.hkeys(daysKey(keyPrefix, p)),
      redis.hget(fenceKey(keyPrefix, p), 'maxEventMs'),
    ]);
    if (dates.length === 0) continue;
    const decision = decideRetention(
      {
        dates,
        batchWatermarkMs,
        ...(isBatchDay === undefined ? {} : { isBatchDay }),
        coveredSinceMs,
        partitionWatermarkMs: maxEventMs === null ? -Infinity : Number(maxEventMs) - opts.allowedLatenessMs,
        nowMs,
      },
      policy,
    );
    for (const date of decision.newlyCovered) {
      if (!coveredSinceMs.has(date)) {
        coveredSinceMs.set(date, nowMs);
        await redis.hsetnx(coveredKey, date, String(nowMs));
      }
    }
    if (decision.retainFrom === undefined) continue;
    // Only ever move retainFrom forward (another instance may have swept further already):
    // raise-retain-from.lua.
    await RAISE_RETAIN_FROM_SCRIPT.run(redis, [fenceKey(keyPrefix, p)], [decision.retainFrom]);
    for (const { date, covered } of decision.drop) {
      deletedKeys += await deleteDate(redis, tag, date);
      await redis.hdel(daysKey(keyPrefix, p), date);
      droppedDays++;
      if (!covered) {
        droppedUncoveredDays++;
        opts.logger?.warn(
          { partition: p, date, batchWatermarkMs, hardCapDays: policy.hardCapDays },
          'retention hard cap dropped provisional data the batch layer has not published yet',
        );
      }
    }
  }
  // Forget coveredSince entries of dates no partition holds any more.
  const stillHeld = new Set<string>();
  for (const p of partitions) for (const d of await redis.hkeys(daysKey(keyPrefix, p))) stillHeld.add(d);
  const stale = [...coveredSinceMs.keys()].filter((d) => !stillHeld.has(d));
  if (stale.length > 0) await redis.hdel(coveredKey, ...stale);
  return { droppedDays, droppedUncoveredDays, deletedKeys, batchWatermarkMs };
}
