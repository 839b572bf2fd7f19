/**
 * Loads apply.lua into an ioredis client and applies one chunk of one partition with it.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from '@ami/shared/clients';
import { encodeApplyReads, type ApplyRead } from './apply-args.ts';
import { daysKey, fenceKey, partitionTag } from './keys.ts';

const APPLY_LUA = readFileSync(new URL('./apply.lua', import.meta.url), 'utf8');
const COMMAND = 'amiRealtimeApply';

type ApplyCommand = (numKeys: number, ...args: (string | Buffer)[]) => Promise<unknown>;

/** Registers the script on `redis` (idempotent); ioredis runs it by EVALSHA with EVAL fallback. */
export function defineApplyCommand(redis: RedisClient): ApplyCommand {
  const existing = (redis as unknown as Record<string, ApplyCommand | undefined>)[COMMAND];
  if (existing === undefined) redis.defineCommand(COMMAND, { lua: APPLY_LUA });
  const fn = (redis as unknown as Record<string, ApplyCommand>)[COMMAND];
  if (fn === undefined) throw new Error('defineCommand did not register the apply script');
  return fn.bind(redis);
}

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
  const run = defineApplyCommand(redis);
  const out = await run(
    2,
    fenceKey(keyPrefix, chunk.partition),
    daysKey(keyPrefix, chunk.partition),
    partitionTag(keyPrefix, chunk.partition),
    chunk.lastOffset,
    chunk.maxEventMs === undefined ? '' : String(chunk.maxEventMs),
    ...encodeApplyReads(chunk.reads, keyPrefix, chunk.partition),
    ...(chunk.expectedFence === undefined ? [] : [String(chunk.expectedFence)]),
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
