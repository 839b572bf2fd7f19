/**
 * The speed layer's Redis scripts, in one place: each is a `.lua` file beside the code that owns
 * it (its header states KEYS, ARGV, the reply and the invariant it keeps), read once here and run
 * through `redisScript` of @ami/shared/clients (ioredis defineCommand: EVALSHA, EVAL on a
 * connection's first use and after NOSCRIPT; single Redis or Cluster).
 */
import { redisScript } from '@ami/shared/clients';

/** realtime-view/write.lua: the changed bytes of one chunk of a partition, with its fence, exactly once. */
export const WRITE_SCRIPT = redisScript(
  'amiRealtimeWrite',
  new URL('./realtime-view/write.lua', import.meta.url),
);

/** realtime-view/get-ranges.lua: one byte range of many strings of one partition (run as Buffer). */
export const GET_RANGES_SCRIPT = redisScript(
  'amiGetRanges',
  new URL('./realtime-view/get-ranges.lua', import.meta.url),
);

/** alerts/store.lua: one alert transition with its history and outbox entries. */
export const ALERT_TRANSITION_SCRIPT = redisScript(
  'amiAlertTransition',
  new URL('./alerts/store.lua', import.meta.url),
);

/** alerts/outage.lua: a meter's last gasp or restore, with the outage-transformer index. */
export const ALERT_OUTAGE_SCRIPT = redisScript(
  'amiAlertOutage',
  new URL('./alerts/outage.lua', import.meta.url),
);

/** retention/raise-retain-from.lua: moves a partition fence's retainFrom forward only. */
export const RAISE_RETAIN_FROM_SCRIPT = redisScript(
  'amiRaiseRetainFrom',
  new URL('./retention/raise-retain-from.lua', import.meta.url),
);
