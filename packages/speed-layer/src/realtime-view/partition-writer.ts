/**
 * The writer of one partition's realtime view (issue 19: per-read work out of Redis). The partition's
 * owner is the only writer of its keys, so it can hold their current values in process: it reads a
 * value from Redis the first time a chunk touches it (one MGET per chunk for all misses; every key
 * of a partition shares one hash tag, so one Cluster slot), decides latest-wins and the grid deltas
 * in process (plan-writes.ts), and sends Redis only the bytes that changed, with the fence, in one
 * write.lua call that writes them only if the fence is still the one the values were read at.
 *
 * The values held are a cache of Redis, never ahead of it: a chunk's new values enter the cache only
 * after write.lua confirmed them. Whenever the stored fence is not the one this writer expects
 * (Redis lost writes, or another process wrote the partition), the partition's cached values are
 * dropped and read again. The cache is shared by the partitions of a process and bounded
 * (lru-cache, by bytes); an evicted value is simply read again.
 */
import { LRUCache } from 'lru-cache';
import type { RedisClient } from '@ami/shared/clients';
import { WRITE_SCRIPT } from '../redis-scripts.ts';
import type { ApplyRead } from './apply-args.ts';
import { daysKey, fenceKey, partitionTag } from './keys.ts';
import {
  ABSENT,
  EFFECT_INSERTED,
  EFFECT_REPLACED,
  EFFECT_UNCHANGED,
  planGridWrites,
  planMeterDays,
  type GridKeyCache,
  type ValueWrite,
} from './plan-writes.ts';

/** Values of the realtime view held in process, keyed by Redis key (ABSENT = no such key). */
export type ViewValueCache = LRUCache<string, Buffer>;

/** A cache holding at most `maxBytes` of values (key text counted too). */
export function createViewValueCache(maxBytes: number): ViewValueCache {
  return new LRUCache<string, Buffer>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.length + key.length + 64,
  });
}

export interface PartitionFenceState {
  /** Last applied offset, -1 when nothing was applied yet. */
  readonly offset: number;
  readonly maxEventMs: number | undefined;
  /** Oldest local date the view still keeps for the partition (undefined: nothing dropped yet). */
  readonly retainFrom: string | undefined;
}

export interface WriteChunk {
  /** Offset of the chunk's last message (valid or not) — becomes the partition's fence. */
  readonly lastOffset: string;
  /** Largest interval_start among the chunk's valid reads, or undefined when there are none. */
  readonly maxEventMs: number | undefined;
  readonly reads: readonly ApplyRead[];
}

export interface WriteResult {
  readonly inserted: number;
  readonly replaced: number;
  readonly unchanged: number;
  /** At or below the fence: applied by an earlier run, skipped. */
  readonly replayed: number;
  /** Of a local date the retention sweep has already dropped: skipped. */
  readonly expired: number;
  /** The fence before this chunk (-1 = none). */
  readonly previousFence: number;
  /**
   * The stored fence was below the one this writer expected: Redis lost writes, nothing was
   * written; the caller must apply again from `previousFence` + 1.
   */
  readonly regressed: boolean;
  /** Redis commands this chunk cost (MGETs of values not held, the write call, its SETRANGEs). */
  readonly redisCommands: number;
}

const WRITE_HEADER_BYTES = 6;
const NOTHING = {
  inserted: 0,
  replaced: 0,
  unchanged: 0,
  replayed: 0,
  expired: 0,
  previousFence: -1,
  regressed: false,
  redisCommands: 0,
} as const satisfies WriteResult;
const STATUS_WRITTEN = 0;
const STATUS_REGRESSED = 1;

/** The local date a realtime-view key ends with (meter-day and grid-day keys: `…:<YYYY-MM-DD>`). */
function dateOfKey(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1);
}

function toNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x !== '') return Number(x);
  throw new Error(`write script returned ${typeof x}, expected a number`);
}

export class PartitionWriter {
  private fence: PartitionFenceState | undefined;
  private readonly tag: string;
  /** Grid-day keys per attribution and date, so a chunk builds no key string it built before. */
  private readonly gridKeys: GridKeyCache = new Map();

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    readonly partition: number,
    private readonly cache: ViewValueCache,
  ) {
    this.tag = partitionTag(keyPrefix, partition);
  }

  /** The fence this writer expects Redis to hold (undefined before `restore`). */
  get knownFence(): PartitionFenceState | undefined {
    return this.fence;
  }

  /** Reads the stored fence and forgets every value held for the partition. */
  async restore(): Promise<PartitionFenceState> {
    this.forgetValues();
    const [offset, maxEventMs, retainFrom] = await this.redis.hmget(
      fenceKey(this.keyPrefix, this.partition),
      'offset',
      'maxEventMs',
      'retainFrom',
    );
    this.fence = {
      offset: offset === null ? -1 : Number(offset),
      maxEventMs: maxEventMs === null ? undefined : Number(maxEventMs),
      retainFrom: retainFrom ?? undefined,
    };
    return this.fence;
  }

  /** Drops the partition's values from the cache (they are read again when next needed). */
  forgetValues(): void {
    const prefix = `${this.tag}:`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  private forgetBefore(date: string): void {
    const prefix = `${this.tag}:`;
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(prefix) && dateOfKey(key) < date) this.cache.delete(key);
    }
  }

  /**
   * Puts the value of every key of `keys` into `into`: held ones from the cache, the others read in
   * one MGET (and cached). Returns the number of commands sent (0 or 1).
   */
  private async load(keys: Iterable<string>, into: Map<string, Buffer>): Promise<number> {
    const wanted = new Set<string>();
    for (const k of keys) {
      if (into.has(k)) continue;
      const held = this.cache.get(k);
      if (held !== undefined) into.set(k, held);
      else wanted.add(k);
    }
    if (wanted.size === 0) return 0;
    const missing = [...wanted];
    const values = await this.redis.mgetBuffer(...missing);
    missing.forEach((k, i) => {
      const v = values[i] ?? ABSENT;
      into.set(k, v);
      this.cache.set(k, v);
    });
    return 1;
  }

  /**
   * Applies one chunk (reads in offset order) exactly once. `expectedFence`, when given, is the
   * fence the caller saw (its own bookkeeping); a lower stored one is reported as `regressed`.
   */
  async apply(chunk: WriteChunk, expectedFence?: number): Promise<WriteResult> {
    const fence = this.fence ?? (await this.restore());
    const expected = expectedFence ?? fence.offset;
    if (expected !== fence.offset) await this.restore();
    const previous = this.fence?.offset ?? -1;
    const retainFrom = this.fence?.retainFrom ?? '';
    const fresh = chunk.reads.filter((r) => Number(r.offset) > previous);
    const live = fresh.filter((r) => r.date >= retainFrom);
    const replayed = chunk.reads.length - fresh.length;
    let expired = fresh.length - live.length;
    if (expected > previous) return { ...NOTHING, previousFence: previous, regressed: true };
    if (Number(chunk.lastOffset) <= previous)
      return { ...NOTHING, replayed, expired, previousFence: previous };

    // Every value the chunk needs, pinned in `values` (an eviction cannot lose one mid-plan).
    const values = new Map<string, Buffer>();
    const valueOf = (k: string): Buffer => {
      const v = values.get(k);
      if (v === undefined) throw new Error(`realtime-view value ${k} was not loaded`);
      return v;
    };
    let commands = await this.load(
      live.map((r) => r.meterDayKey),
      values,
    );
    const days = planMeterDays(live, valueOf, this.keyPrefix, this.partition, this.gridKeys);
    commands += await this.load(days.grid.keys(), values);
    const grid = planGridWrites(days.grid, valueOf);
    const writes = [...days.writes, ...grid.writes];
    const registered = new Set(days.writes.filter((w) => w.created).map((w) => w.date)).size;

    const reply = await WRITE_SCRIPT.run(
      this.redis,
      [fenceKey(this.keyPrefix, this.partition), daysKey(this.keyPrefix, this.partition)],
      [
        String(previous),
        chunk.lastOffset,
        chunk.maxEventMs === undefined ? '' : String(chunk.maxEventMs),
        ...encodeWrites(writes, days.writes),
      ],
    );
    if (!Array.isArray(reply) || reply.length !== 4)
      throw new Error('write script returned an unexpected reply');
    const status = toNumber(reply[0]);
    const stored = toNumber(reply[1]);
    const storedRetainFrom = typeof reply[2] === 'string' && reply[2] !== '' ? reply[2] : undefined;
    if (status !== STATUS_WRITTEN) {
      // Our values are not Redis's any more: forget them; the fence tells where Redis is.
      this.forgetValues();
      if (status === STATUS_REGRESSED) {
        this.fence = { offset: stored, maxEventMs: undefined, retainFrom: storedRetainFrom };
        return { ...NOTHING, previousFence: stored, regressed: true, redisCommands: commands + 2 };
      }
      // Another writer moved the fence: apply what is after it, reading the values again.
      await this.restore();
      return this.apply(chunk);
    }
    // EVALSHA, HMGET, HSET (+ HGET/HSET of maxEventMs), HSETNX per registered date, SETRANGE per write
    commands += 3 + (chunk.maxEventMs === undefined ? 0 : 2) + registered + writes.length;

    const skipped = toNumber(reply[3]);
    this.commitValues([days.commit(), grid.commit()], storedRetainFrom);
    const counts = [0, 0, 0];
    live.forEach((r, i) => {
      if (skipped > 0 && storedRetainFrom !== undefined && r.date < storedRetainFrom) expired++;
      else counts[days.effects[i] ?? EFFECT_UNCHANGED]!++;
    });
    this.fence = {
      offset: Number(chunk.lastOffset),
      maxEventMs: maxOf(this.fence?.maxEventMs, chunk.maxEventMs),
      retainFrom: storedRetainFrom,
    };
    return {
      inserted: counts[EFFECT_INSERTED]!,
      replaced: counts[EFFECT_REPLACED]!,
      unchanged: counts[EFFECT_UNCHANGED]!,
      replayed,
      expired,
      previousFence: previous,
      regressed: false,
      redisCommands: commands,
    };
  }

  /** The chunk's values as Redis now holds them (none of a date the retention sweep dropped). */
  private commitValues(maps: readonly Map<string, Buffer>[], retainFrom: string | undefined): void {
    for (const values of maps) {
      for (const [key, value] of values) {
        if (retainFrom === undefined || dateOfKey(key) >= retainFrom) this.cache.set(key, value);
        else this.cache.delete(key);
      }
    }
    if (retainFrom !== undefined && retainFrom !== this.fence?.retainFrom) this.forgetBefore(retainFrom);
  }
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** write.lua's arguments after the fence ones: dates, dates to register, then (key, write) pairs. */
function encodeWrites(
  writes: readonly ValueWrite[],
  meterDayWrites: readonly ValueWrite[],
): (string | Buffer)[] {
  const dateNumbers = new Map<string, number>();
  for (const w of writes) if (!dateNumbers.has(w.date)) dateNumbers.set(w.date, dateNumbers.size + 1);
  const register = new Set<number>();
  for (const w of meterDayWrites) if (w.created) register.add(dateNumbers.get(w.date)!);
  const out: (string | Buffer)[] = [String(dateNumbers.size), ...dateNumbers.keys(), String(register.size)];
  for (const d of register) out.push(String(d));
  for (const w of writes) {
    const arg = Buffer.allocUnsafe(WRITE_HEADER_BYTES + w.bytes.length);
    arg.writeUInt16BE(dateNumbers.get(w.date)!, 0);
    arg.writeUInt32BE(w.offset, 2);
    w.bytes.copy(arg, WRITE_HEADER_BYTES);
    out.push(w.key, arg);
  }
  return out;
}
