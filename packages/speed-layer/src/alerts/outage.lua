--[[
  Records a meter's last gasp or restore for its transformer (outage-state.ts), atomically, and
  keeps the index of transformers with outage activity up to date. Every event is kept (member
  "<meter>|<ms>", score = event time) until the keys expire.

  Input:
    KEYS[1] gasps zset of the transformer
    KEYS[2] restores zset of the transformer
    KEYS[3] outage transformers zset (transformer -> latest activity ms, or ARGV[7] while a meter's
            latest gasp has no restore at or after it)

    ARGV[1] 'gasp' | 'restore'
    ARGV[2] meter id
    ARGV[3] event time ms
    ARGV[4] transformer id
    ARGV[5] key TTL ms (of KEYS[1] and KEYS[2])
    ARGV[6] outage window ms
    ARGV[7] score of a transformer with an unrestored meter

  Output:
    for a gasp: the transformer's gasps within [t - window, t + window] as a flat member/score
    list; for a restore: an empty list

  Invariant: the rules decide the same whatever order the meters' partitions are processed in (all
  events are kept, not only each meter's latest), and a replayed event is the same member
  (idempotent).
]]
local ts = tonumber(ARGV[3])
local member = ARGV[2] .. '|' .. ARGV[3]
if ARGV[1] == 'gasp' then
  redis.call('ZADD', KEYS[1], ts, member)
else
  redis.call('ZADD', KEYS[2], ts, member)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local function latestByMeter(key)
  local latest = {}
  local all = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    local m = string.match(all[i], '^(.*)|') or all[i] -- members written before 'meter|ms'
    local t = tonumber(all[i + 1])
    if not latest[m] or t > latest[m] then latest[m] = t end
  end
  return latest
end
local gasps = latestByMeter(KEYS[1])
local restores = latestByMeter(KEYS[2])
local unrestored, latest = 0, 0
for m, g in pairs(gasps) do
  local r = restores[m]
  if not r or r < g then unrestored = unrestored + 1 end
  if g > latest then latest = g end
end
for _, r in pairs(restores) do
  if r > latest then latest = r end
end
if unrestored > 0 then latest = ARGV[7] end
redis.call('ZADD', KEYS[3], latest, ARGV[4])
if ARGV[1] ~= 'gasp' then return {} end
local w = tonumber(ARGV[6])
return redis.call('ZRANGE', KEYS[1], ts - w, ts + w, 'BYSCORE', 'WITHSCORES')
