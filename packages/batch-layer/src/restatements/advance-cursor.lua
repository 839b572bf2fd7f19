--[[
  Moves the restatement relay's cursor forward (cursor.ts): stores the given snapshot seq unless
  the cursor is already there or further.

  Input:
    KEYS[1] the cursor string: <prefix>:{restatements}:cursor (seq of the last catalog snapshot
            whose restatement notices were produced; missing = 0)

    ARGV[1] the new seq (a non-negative integer)

  Output:
    the cursor after the call (ARGV[1] when it moved, else the stored seq)

  Invariant: the cursor never moves back, so a slow relay instance cannot undo a faster one's
  progress.
]]
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local nxt = tonumber(ARGV[1])
if nxt > cur then redis.call('SET', KEYS[1], ARGV[1]) return nxt end
return cur
