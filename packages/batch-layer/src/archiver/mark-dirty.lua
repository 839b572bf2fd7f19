--[[
  Marks local days dirty (dirty-days.ts): raises each day's stamp to max(at, old stamp + 1).

  Input:
    KEYS[1] the dirty-days hash: <prefix>:{dirty-days} (local date -> stamp, epoch ms)

    ARGV[1..n-1] local dates 'YYYY-MM-DD' to mark
    ARGV[n]      the mark's time, epoch ms

  Output:
    number of dates marked (n - 1)

  Invariant: a date's stamp only ever rises and two marks of one date never carry the same
  stamp, so a build that saw stamp s can tell whether a mark arrived after it (clear-dirty.lua).
]]
local n = 0
for i = 1, #ARGV - 1 do
  local old = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  local at = tonumber(ARGV[#ARGV])
  if at <= old then at = old + 1 end
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%d', at))
  n = n + 1
end
return n
