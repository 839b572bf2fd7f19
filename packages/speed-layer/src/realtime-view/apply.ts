/**
 * Applies one chunk of one partition to the realtime view with apply.lua (run through the speed
 * layer's script loader, redis-scripts.ts), and reads a partition's fence back.
 */
import type { RedisClient } from '@ami/shared/clients';
import { APPLY_SCRIPT } from '../redis-scripts.ts';
import { encodeApplyReads, type ApplyRead } from './apply-args.ts';
import { daysKey, fenceKey, partitionTag } from './keys.ts';

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

function toNumber(x: unknown): number {
  if (typeof x !== 'number') throw new Error(`apply script returned ${typeof x}, expected a number`);
  return x;
}

/** Applies `chunk` atomically together with its fence (see apply.lua). */
export async function applyChunk(
  redis: RedisClient,
  keyPrefix: string,
  chunk: ApplyChunk,
): Promise<ApplyResult> {
  const out = await APPLY_SCRIPT.run(
    redis,
    [fenceKey(keyPrefix, chunk.partition), daysKey(keyPrefix, chunk.partition)],
    [
      partitionTag(keyPrefix, chunk.partition),
      chunk.lastOffset,
      chunk.maxEventMs === undefined ? '' : String(chunk.maxEventMs),
      ...encodeApplyReads(chunk.reads, keyPrefix, chunk.partition),
      ...(chunk.expectedFence === undefined ? [] : [String(chunk.expectedFence)]),
    ],
  );
  if (!Array.isArray(out) || out.length !== 7) throw new Error('apply script returned an unexpected reply');
  const [inserted, replaced, unchanged, replayed, previousFence, expired, regressed] = out.map(toNumber) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { inserted, replaced, unchanged, replayed, previousFence, expired, regressed: regressed === 1 };
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
