/**
 * The batch layer's Redis scripts, in one place: each is a `.lua` file beside the code that owns
 * it (its header states KEYS, ARGV, the reply and the invariant it keeps), read once here and run
 * through `redisScript` of @ami/shared/clients (ioredis defineCommand: EVALSHA, EVAL on a
 * connection's first use and after NOSCRIPT; single Redis or Cluster). The per-day build lock is
 * a lease of @ami/shared/lease, whose scripts live there.
 */
import { redisScript } from '@ami/shared/clients';

/** restatements/advance-cursor.lua: moves the relay's cursor forward only. */
export const ADVANCE_CURSOR_SCRIPT = redisScript(
  'amiRestatementAdvanceCursor',
  new URL('./restatements/advance-cursor.lua', import.meta.url),
);

/** archiver/mark-dirty.lua: raises the dirty stamps of local days. */
export const MARK_DIRTY_SCRIPT = redisScript(
  'amiDirtyDaysMark',
  new URL('./archiver/mark-dirty.lua', import.meta.url),
);

/** archiver/clear-dirty.lua: removes a day's dirty mark if its stamp is unchanged. */
export const CLEAR_DIRTY_SCRIPT = redisScript(
  'amiDirtyDaysClear',
  new URL('./archiver/clear-dirty.lua', import.meta.url),
);
