/**
 * The relay's cursor in Redis: the seq of the last catalog snapshot whose restatement notices were
 * produced. Key `<prefix>:{restatements}:cursor`; it only moves forward (advance-cursor.lua, a
 * compare-and-set), so a slow relay instance cannot move it back after a faster one advanced it.
 */
import type { RedisClient } from '@ami/shared/clients';
import { ADVANCE_CURSOR_SCRIPT } from '../redis-scripts.ts';

export function restatementCursorKey(prefix: string): string {
  return `${prefix}:{restatements}:cursor`;
}

export class RelayCursor {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = restatementCursorKey(prefix);
  }

  /** Last notified snapshot seq (0 = none yet: the whole retained history is walked). */
  async get(): Promise<number> {
    const v = await this.redis.get(this.key);
    return v === null ? 0 : Number(v);
  }

  /** Moves the cursor to `seq` unless it is already there or further; returns the cursor after. */
  async advance(seq: number): Promise<number> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`bad cursor ${seq}`);
    return Number(await ADVANCE_CURSOR_SCRIPT.run(this.redis, [this.key], [String(seq)]));
  }
}
