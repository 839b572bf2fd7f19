--[[
  Reads the same byte range of many strings in one call (read-view.ts: readGridWindows and
  readMeterPresence read a few windows or slots of many grid-day / meter-day values without
  fetching whole days).

  Input:
    KEYS[1..n] the strings to read, all of ONE partition of the realtime view (one hash tag, so one
               Redis Cluster slot); at most 1,024 per call (read-view.ts splits longer lists)

    ARGV[1] first byte offset (GETRANGE start)
    ARGV[2] last byte offset, inclusive (GETRANGE end)

  Output:
    array of n strings, element i = GETRANGE KEYS[i] ARGV[1] ARGV[2] ('' for a missing key or a
    range past its end)

  Invariant: read-only; the n reads see one consistent state of the view (no apply runs between
  them).
]]
local out = {}
for i = 1, #KEYS do out[i] = redis.call('GETRANGE', KEYS[i], ARGV[1], ARGV[2]) end
return out
