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
 * raised the stamp and survives for the next sweep. Both operations are atomic Lua scripts
 * (mark-dirty.lua, clear-dirty.lua).
 */
import type { RedisClient } from '@ami/shared/clients';
import { isValidLocalDate } from '@ami/shared/time';
import { CLEAR_DIRTY_SCRIPT, MARK_DIRTY_SCRIPT } from '../redis-scripts.ts';

export interface DirtyDay {
  readonly date: string;
  /** Stamp of the latest mark (epoch ms, strictly increasing per date). */
  readonly markedAtMs: number;
}

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
    await MARK_DIRTY_SCRIPT.run(this.redis, [this.key], [...list, String(atMs)]);
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
    const removed = await CLEAR_DIRTY_SCRIPT.run(this.redis, [this.key], [date, String(seenAtMs)]);
    return removed === 1;
  }
}
