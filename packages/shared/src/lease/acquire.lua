--[[
  Takes a lease: stores the owner's token in the lease key with a TTL, unless another owner holds
  it. An owner that already holds the lease keeps it, and its TTL starts again (taking a lease one
  already holds is a renewal).

  Input:
    KEYS[1] the lease key (value: the holder's owner token; expires after the TTL)

    ARGV[1] owner token
    ARGV[2] TTL in ms (positive integer)

  Output:
    1 - the lease is the owner's now (taken, or already held and its TTL reset)
    0 - another owner holds it; nothing changed

  Invariant: at most one owner holds the lease at a time; a lease ends only when its holder
  releases it or its TTL runs out.
]]
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
