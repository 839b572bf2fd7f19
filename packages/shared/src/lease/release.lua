--[[
  Releases a lease: deletes the lease key, only if the owner still holds it (compare-and-delete).

  Input:
    KEYS[1] the lease key (value: the holder's owner token)

    ARGV[1] owner token

  Output:
    1 - released
    0 - the lease expired or another owner holds it; nothing changed

  Invariant: an owner whose lease expired and was taken by another never deletes the new holder's
  lease.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
