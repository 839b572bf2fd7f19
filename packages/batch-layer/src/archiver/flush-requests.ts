/**
 * Flush requests: how a build asks the archiver to flush now instead of waiting for the flush age
 * (AMI_ARCHIVER_FLUSH_AGE_S, 1 h by default) — a rebuild of day D must not publish before everything
 * consumed for D is in the master dataset (jobs/archive-gate.ts).
 *
 * One Redis string `<prefix>:{archive-flush}` (prefix: AMI_ARCHIVER_DIRTY_KEY_PREFIX, beside the
 * dirty-day marks) holding the latest request, `<epoch ms>.<token>`: every new value is a new
 * request. Every archiver process reads it on its flush timer (at most every second) and flushes
 * every buffer when the value differs from the one it acted on last; the offsets it then commits
 * (after the objects are in S3) are what the build waits for. A plain GET/SET, no script: a
 * request lost to a concurrent one is harmless, both ask for the same thing. The key expires after
 * a day (nothing reads an old request).
 */
import type { RedisClient } from '@ami/shared/clients';

const REQUEST_TTL_S = 86_400;

export function flushRequestKey(prefix: string): string {
  return `${prefix}:{archive-flush}`;
}

export class FlushRequests {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = flushRequestKey(prefix);
  }

  /** Asks every archiver to flush its buffers now; `token` makes two requests of one ms distinct. */
  async request(atMs: number, token: string): Promise<void> {
    await this.redis.set(this.key, `${atMs}.${token}`, 'EX', REQUEST_TTL_S);
  }

  /** The latest request (null: none). */
  async latest(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
