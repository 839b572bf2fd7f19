--[[
  Writes the effects of one chunk of ONE partition of the reads topic to the realtime view, together
  with the partition's fence, exactly once (partition-writer.ts decides every effect in process;
  layout: layout.ts; key names: keys.ts). Per touched value (a meter-day or a grid-day string) one
  SETRANGE of the bytes that changed: no value is read here.

  Input:
    KEYS[1] fence hash of the partition: {tag}:fence (fields offset, maxEventMs, retainFrom)
    KEYS[2] registry of the partition's local dates in the view: {tag}:days (date -> 1)

    ARGV[1] the fence offset the writer expects (the one it read or last wrote; -1 = none)
    ARGV[2] offset of the last message of the chunk (valid or not): the new fence
    ARGV[3] largest event time (interval_start, ms) among the chunk's valid reads, or ''
    ARGV[4] number of local dates d of the chunk's writes, then the d dates (YYYY-MM-DD)
    then    number of dates r to register in KEYS[2] (a value of theirs was created), then r date
            numbers (1-based positions in the date list)
    then    the writes, 2 arguments each: the key (of the same partition: same hash tag, same
            Cluster slot), and the write: uint16 big-endian date number, uint32 big-endian byte
            offset, then the bytes to write there

  Output:
    { status, stored fence offset (-1 = none), retainFrom ('' = none), writes skipped as expired }
    status 0: written, the fence is now ARGV[2]
    status 1: the stored fence is BELOW the expected one — Redis lost writes (restarted from an
              older AOF, failed over to a lagging replica, came back empty); nothing written
    status 2: the stored fence is ABOVE the expected one — another writer applied this partition
              since; nothing written (the writer's view of the values is stale)

  Invariant: every read is applied exactly once. The writer computed the writes from the values as
  they were at the expected fence; they are written only if the fence is still there, in the same
  atomic step that moves it, so a replay after a crash (or a second writer) changes nothing. Writes of
  a local date before the fence's retainFrom (raised by the retention sweep) are skipped, so a dropped
  day is never recreated.
]]

local fence = KEYS[1]
local expected = tonumber(ARGV[1])
local state = redis.call('HMGET', fence, 'offset', 'retainFrom')
local stored = tonumber(state[1] or '-1')
local retainFrom = state[2] or ''

if stored < expected then return { 1, stored, retainFrom, 0 } end
if stored > expected then return { 2, stored, retainFrom, 0 } end

local nDates = tonumber(ARGV[4])
local expired = {}
for d = 1, nDates do expired[d] = ARGV[4 + d] < retainFrom end

local at = 5 + nDates
local nRegister = tonumber(ARGV[at])
for r = 1, nRegister do
  local d = tonumber(ARGV[at + r])
  if not expired[d] then redis.call('HSETNX', KEYS[2], ARGV[4 + d], '1') end
end
at = at + nRegister + 1

local skipped = 0
for w = at, #ARGV - 1, 2 do
  local write = ARGV[w + 1]
  local d, offset = struct.unpack('>I2I4', write)
  if expired[d] then
    skipped = skipped + 1
  else
    redis.call('SETRANGE', ARGV[w], offset, string.sub(write, 7))
  end
end

redis.call('HSET', fence, 'offset', ARGV[2])
if ARGV[3] ~= '' then
  local maxEvent = tonumber(redis.call('HGET', fence, 'maxEventMs') or '-1')
  if tonumber(ARGV[3]) > maxEvent then redis.call('HSET', fence, 'maxEventMs', ARGV[3]) end
end
return { 0, stored, retainFrom, skipped }
