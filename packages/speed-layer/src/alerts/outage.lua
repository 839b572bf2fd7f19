-- Records a meter's last gasp or restore for its transformer (outage-state.ts), atomically.
-- KEYS[1] gasps zset (meter -> latest gasp ms)   KEYS[2] restores zset (meter -> latest restore ms)
-- KEYS[3] outage transformers zset (transformer -> latest activity ms, or ARGV[7] while unrestored)
-- ARGV[1] 'gasp' | 'restore'   ARGV[2] meter   ARGV[3] event time ms   ARGV[4] transformer
-- ARGV[5] key TTL ms   ARGV[6] outage window ms   ARGV[7] score of an unrestored transformer
-- Returns, for a gasp, the gasps within [t - window, t + window] as a flat member/score list.
local ts = tonumber(ARGV[3])
if ARGV[1] == 'gasp' then
  redis.call('ZADD', KEYS[1], 'GT', ts, ARGV[2])
else
  redis.call('ZADD', KEYS[2], 'GT', ts, ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local gasps = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local unrestored, latest = 0, 0
for i = 1, #gasps, 2 do
  local g = tonumber(gasps[i + 1])
  local r = redis.call('ZSCORE', KEYS[2], gasps[i])
  if r then r = tonumber(r) end
  if not r or r < g then unrestored = unrestored + 1 end
  if g > latest then latest = g end
  if r and r > latest then latest = r end
end
if unrestored > 0 then latest = ARGV[7] end
redis.call('ZADD', KEYS[3], latest, ARGV[4])
if ARGV[1] ~= 'gasp' then return {} end
local w = tonumber(ARGV[6])
return redis.call('ZRANGE', KEYS[1], ts - w, ts + w, 'BYSCORE', 'WITHSCORES')
