/**
 * Applies one chunk of one partition to the realtime view (a one-off PartitionWriter: the fence
 * and the touched values read from Redis, latest-wins decided in process, write.lua writes the
 * changed bytes with the fence), and reads a partition's fence back. The consumer keeps one
 * PartitionWriter per partition instead, so it reads each value once, not once per chunk.
 */
import type { RedisClient } from '@ami/shared/clients';
import type { ApplyRead } from './apply-args.ts';
import { fenceKey } from './keys.ts';
import { PartitionWriter, createViewValueCache } from './partition-writer.ts';

export interface ApplyChunk {
  readonly partition: number;
  /** Offset of the chunk's last message (valid or not) — becomes the partition's fence. */
  readonly lastOffset: string;
  /** Largest interval_start among the chunk's valid reads, or undefined when there are none. */
  readonly maxEventMs: number | undefined;
  readonly reads: readonly ApplyRead[];
  /**
   * The fence the caller expects Redis to hold (the one it read, or its last apply's): a lower
   * stored fence means Redis lost writes, and the chunk is not applied (`regressed`).
   */
  readonly expectedFence?: number;
}

export interface ApplyResult {
  /** First version of an interval. */
  readonly inserted: number;
  /** A later version replaced the stored one (a correction). */
  readonly replaced: number;
  /** A duplicate or an older version: no change. */
  readonly unchanged: number;
  /** At or below the fence: applied by an earlier run, skipped. */
  readonly replayed: number;
  /** The fence before this chunk (-1 = none). */
  readonly previousFence: number;
  /** Of a local date the retention sweep has already dropped: skipped. */
  readonly expired: number;
  /**
   * The stored fence was below `expectedFence`: Redis lost writes, nothing was applied; the caller
   * must apply again from `previousFence` + 1.
   */
  readonly regressed: boolean;
}

/** A one-off writer holds at most this many bytes of values. */
const ONE_OFF_CACHE_BYTES = 64 * 1024 * 1024;

/** Applies `chunk` atomically together with its fence (see partition-writer.ts and write.lua). */
export async function applyChunk(
  redis: RedisClient,
  keyPrefix: string,
  chunk: ApplyChunk,
): Promise<ApplyResult> {
  const writer = new PartitionWriter(
    redis,
    keyPrefix,
    chunk.partition,
    createViewValueCache(ONE_OFF_CACHE_BYTES),
  );
  const { inserted, replaced, unchanged, replayed, previousFence, expired, regressed } = await writer.apply(
    chunk,
    chunk.expectedFence,
  );
  return { inserted, replaced, unchanged, replayed, previousFence, expired, regressed };
}

export interface PartitionFence {
  /** Last applied offset, -1 when nothing was applied yet. */
  readonly offset: number;
  /** Largest interval_start applied or seen by an applied chunk, undefined when none. */
  readonly maxEventMs: number | undefined;
  /** Oldest local date the view still keeps for the partition (undefined: nothing dropped yet). */
  readonly retainFrom: string | undefined;
}

/** The stored fence of a partition (what the consumer restores its watermark from). */
export async function readFence(
  redis: RedisClient,
  keyPrefix: string,
  partition: number,
): Promise<PartitionFence> {
  const [offset, maxEventMs, retainFrom] = await redis.hmget(
    fenceKey(keyPrefix, partition),
    'offset',
    'maxEventMs',
    'retainFrom',
  );
  return {
    offset: offset === null ? -1 : Number(offset),
    maxEventMs: maxEventMs === null ? undefined : Number(maxEventMs),
    retainFrom: retainFrom ?? undefined,
  };
}
