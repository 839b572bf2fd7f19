--[[
  Renews a lease: starts its TTL again, only if the owner still holds it (compare-and-expire).

  Input:
    KEYS[1] the lease key (value: the holder's owner token)

    ARGV[1] owner token
    ARGV[2] TTL in ms (positive integer)

  Output:
    1 - renewed (the owner holds the lease)
    0 - the lease expired or another owner holds it; nothing changed

  Invariant: only the holder extends a lease; an owner that lost it cannot take it back this way.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
