--[[
  One alert transition (open or clear), atomically (store.ts): the active-set change, the history
  entry and the OUTBOX entry that drainOutbox later produces to Kafka. All keys share the {prefix}
  hash tag.

  Input:
    KEYS[1] active hash (dedup key -> alert JSON)
    KEYS[2] history stream
    KEYS[3] outbox stream
    KEYS[4] closed marker of this dedup key (cleared_at ms, with a TTL)
    KEYS[5] expiry zset (dedup key -> expiry ms of EVENT alerts)

    ARGV[1] 'open' | 'clear'
    ARGV[2] dedup key
    ARGV[3] alert JSON (open or cleared form)
    ARGV[4] open: opened_at ms; clear: cleared_at ms
    ARGV[5] Kafka topic
    ARGV[6] history MAXLEN (approximate)
    ARGV[7] closed-marker TTL ms
    ARGV[8] open: expiry ms or ''; clear: the id the open alert must have

  Output:
     1 - done
     0 - nothing to do (open: already open; clear: not open)
    -1 - stale open (at or before the last clear of the key: a replay)
    -2 - the open alert has another id (clear raced an open)

  Invariant: at most one alert is open per dedup key, however many instances or replays evaluate
  the same facts, and no transition is in Redis without its outbox entry (none is lost for Kafka).
]]
local op, key, json, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

if op == 'open' then
  if redis.call('HEXISTS', KEYS[1], key) == 1 then return 0 end
  local closed = redis.call('GET', KEYS[4])
  if closed and at <= tonumber(closed) then return -1 end
  redis.call('HSET', KEYS[1], key, json)
  if ARGV[8] ~= '' then redis.call('ZADD', KEYS[5], ARGV[8], key) end
else
  local current = redis.call('HGET', KEYS[1], key)
  if not current then return 0 end
  local prefix = '{"id":"' .. ARGV[8] .. '"'
  if string.sub(current, 1, #prefix) ~= prefix then return -2 end
  redis.call('HDEL', KEYS[1], key)
  redis.call('ZREM', KEYS[5], key)
  redis.call('SET', KEYS[4], ARGV[4], 'PX', ARGV[7])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'transition', op, 'alert', json)
redis.call('XADD', KEYS[3], '*', 'topic', ARGV[5], 'key', key, 'value', json)
return 1
