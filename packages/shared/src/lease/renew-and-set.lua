--[[
  A write guarded by a lease: sets a key and renews the lease, only if the owner still holds the
  lease (e.g. the alert engine's evaluation cursor, moved only by the holder of the evaluation
  lease).

  Input:
    KEYS[1] the lease key (value: the holder's owner token)
    KEYS[2] the key to set (same hash slot as KEYS[1] in a Redis Cluster: share a hash tag)

    ARGV[1] owner token
    ARGV[2] value to store in KEYS[2] (SET, no TTL)
    ARGV[3] lease TTL in ms (positive integer)

  Output:
    1 - set and renewed (the owner holds the lease)
    0 - the lease expired or another owner holds it; nothing changed

  Invariant: KEYS[2] changes only while, and atomically with the check that, its writer holds
  the lease, so an instance that lost the lease cannot overwrite what the new holder wrote.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
