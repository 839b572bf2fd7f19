/**
 * Per-day build lock in Redis: at most one build of a local day runs at a time, whichever path
 * started it (sweep, nightly, manual rebuild, backfill child). The catalog commit is safe under
 * concurrency anyway; the lock only avoids wasted work and confusing interleaved progress.
 *
 * Key `<prefix>:{day-lock}:<date>` = owner token, with a TTL (the job lock duration) renewed while
 * the build runs; a crashed holder's lock expires by itself. It is a lease of @ami/shared/lease:
 * acquire, renew and release act only for the owner whose token the key holds.
 */
import type { RedisClient } from '@ami/shared/clients';
import { holdLease, leaseHolder } from '@ami/shared/lease';

export function dayLockKey(prefix: string, date: string): string {
  return `${prefix}:{day-lock}:${date}`;
}

export interface HeldDayLock {
  readonly date: string;
  readonly owner: string;
  /** Stops renewing and deletes the key if still ours. */
  release(): Promise<void>;
}

export class DayLocks {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** The lock of `date` for `owner` (renewed until released), or null when another owner holds it. */
  async tryAcquire(date: string, owner: string): Promise<HeldDayLock | null> {
    const held = await holdLease(this.redis, {
      key: dayLockKey(this.prefix, date),
      owner,
      ttlMs: this.ttlMs,
    });
    return held === null ? null : { date, owner, release: () => held.release() };
  }

  /** Current owner of the lock of `date`, or null. */
  async owner(date: string): Promise<string | null> {
    return leaseHolder(this.redis, dayLockKey(this.prefix, date));
  }
}
