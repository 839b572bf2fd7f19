--[[
  Moves a partition's retention fence forward (sweep.ts): sets the fence hash's `retainFrom` to
  the given local date unless it already holds that date or a later one. write.lua then skips
  reads of earlier dates, so a late read cannot recreate a day the sweep is dropping.

  Input:
    KEYS[1] fence hash of the partition: {tag}:fence (fields offset, maxEventMs, retainFrom)

    ARGV[1] oldest local date to keep, 'YYYY-MM-DD' (compared as text, which orders such dates)

  Output:
    1 - always (whether or not the field moved)

  Invariant: retainFrom never moves back, even when several sweeping instances race.
]]
local c = redis.call('HGET', KEYS[1], 'retainFrom')
if not c or c < ARGV[1] then redis.call('HSET', KEYS[1], 'retainFrom', ARGV[1]) end
return 1
