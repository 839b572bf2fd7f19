/**
 * Per-day build lock in Redis: at most one build of a local day runs at a time, whichever path
 * started it (sweep, nightly, manual rebuild, backfill child). The catalog commit is safe under
 * concurrency anyway; the lock only avoids wasted work and confusing interleaved progress.
 *
 * Key `<prefix>:{day-lock}:<date>` = owner token, with a TTL (the job lock duration) renewed while
 * the build runs; a crashed holder's lock expires by itself. Acquire is SET NX PX; renew and
 * release only act if the key still holds the owner's token (Lua compare-and-set).
 */
import type { RedisClient } from '@ami/shared/clients';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

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

  /** The lock of `date` for `owner`, or null when another owner holds it. */
  async tryAcquire(date: string, owner: string): Promise<HeldDayLock | null> {
    const key = dayLockKey(this.prefix, date);
    const ok = await this.redis.set(key, owner, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return null;
    const timer = setInterval(
      () => {
        this.redis.eval(RENEW, 1, key, owner, String(this.ttlMs)).catch(() => undefined);
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    timer.unref();
    return {
      date,
      owner,
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, owner);
      },
    };
  }

  /** Current owner of the lock of `date`, or null. */
  async owner(date: string): Promise<string | null> {
    return this.redis.get(dayLockKey(this.prefix, date));
  }
}
