/**
 * Dirty-day marks in Redis: the local days that received archived data since they were last built
 * (SPEC 5: "marks days that received data after their last build as dirty"), for the late-data
 * sweep to rebuild exactly those days.
 *
 * One hash `<prefix>:{dirty-days}` (one hash tag, so Redis-Cluster safe): field = local date, value =
 * the mark's stamp in epoch ms. Marking never lowers a stamp and always raises it — new stamp =
 * max(atMs, old + 1) — so two marks never carry the same stamp. A build reads the marks
 * (listDirty), rebuilds each day, then calls clearDirtyIfUnchanged(date, stampItSaw): the mark is
 * removed only if no mark arrived meanwhile (same stamp); a mark that arrived during the build
 * raised the stamp and survives for the next sweep. Both operations are atomic Lua scripts.
 */
import type { RedisClient } from '@ami/shared/clients';
import { isValidLocalDate } from '@ami/shared/time';

export interface DirtyDay {
  readonly date: string;
  /** Stamp of the latest mark (epoch ms, strictly increasing per date). */
  readonly markedAtMs: number;
}

const MARK = `
local n = 0
for i = 1, #ARGV - 1 do
  local old = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  local at = tonumber(ARGV[#ARGV])
  if at <= old then at = old + 1 end
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%d', at))
  n = n + 1
end
return n`;

const CLEAR = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`;

export function dirtyDaysKey(prefix: string): string {
  return `${prefix}:{dirty-days}`;
}

export class DirtyDays {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = dirtyDaysKey(prefix);
  }

  /** Marks `dates` dirty at `atMs` (raising each stamp, see module comment). */
  async markDirty(dates: Iterable<string>, atMs: number): Promise<void> {
    const list = [...new Set(dates)].sort();
    for (const d of list) if (!isValidLocalDate(d)) throw new RangeError(`invalid local date: ${d}`);
    if (!Number.isSafeInteger(atMs) || atMs < 0) throw new RangeError(`bad stamp ${atMs}`);
    if (list.length === 0) return;
    await this.redis.eval(MARK, 1, this.key, ...list, String(atMs));
  }

  /** Every dirty day with its stamp, dates ascending. */
  async listDirty(): Promise<DirtyDay[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.entries(all)
      .map(([date, at]) => ({ date, markedAtMs: Number(at) }))
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  /** Removes the mark of `date` if its stamp is still `seenAtMs`; true when removed. */
  async clearDirtyIfUnchanged(date: string, seenAtMs: number): Promise<boolean> {
    const removed = await this.redis.eval(CLEAR, 1, this.key, date, String(seenAtMs));
    return removed === 1;
  }
}
