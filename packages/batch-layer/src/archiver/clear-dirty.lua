--[[
  Clears a day's dirty mark after a build (dirty-days.ts), only if no mark arrived since the build
  read it (compare-and-delete on the stamp).

  Input:
    KEYS[1] the dirty-days hash: <prefix>:{dirty-days} (local date -> stamp, epoch ms)

    ARGV[1] local date 'YYYY-MM-DD'
    ARGV[2] the stamp the build saw (as listed, decimal text)

  Output:
    1 - the mark was removed
    0 - the stamp changed (a later mark survives for the next sweep) or the date is not marked

  Invariant: data archived during a build is never lost for the late-data sweep: its mark raised
  the stamp, so this build's clear leaves it.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
