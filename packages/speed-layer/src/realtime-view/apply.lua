--[[
  Applies one chunk of valid INTERVAL reads of ONE partition of the reads topic to the realtime
  view, exactly once, together with the partition's fence (apply.ts; layout: layout.ts; key names:
  keys.ts; arguments: apply-args.ts). Grid deltas are summed per (grid key, window) in Lua tables
  and written once per chunk.

  Input:
    KEYS[1] fence hash of the partition: {tag}:fence (fields offset, maxEventMs, retainFrom)
    KEYS[2] registry of the partition's local dates in the view: {tag}:days (date -> 1)

    ARGV[1] the partition's hash tag, e.g. '{rv:3}' (grid keys are built from it, same slot)
    ARGV[2] offset of the last message of the chunk (valid or not): the new fence
    ARGV[3] largest event time (interval_start, ms) among the chunk's valid reads, or ''
    ARGV[4] number of meter-days d, then 4 arguments each: key, local date, day slots, day phase
    then    number of attributions a, then 5 arguments each: text 't|f|s|r' and the 4 grid-day
            keys of that attribution on the record's date ('' where the level is unknown)
    then    the records blob, 26 bytes per read (encodeApplyReads)
    last    (optional) the fence offset the caller expects (the fence it read, or its last
            apply's result)

  Output:
    { inserted, replaced, unchanged, replayed, previous fence offset (-1 = none), expired,
      regressed (1 = nothing applied, see below; else 0) }
    error reply when a meter-day would exceed 63 grid attributions

  Invariant: every read is applied exactly once. Reads at or below the stored fence offset were
  applied before (a replay) and are skipped; the fence moves in the same atomic step as the data.
  Reads of a local date before the fence's retainFrom (set by the retention sweep) are expired,
  so a dropped day is never recreated. A stored fence BELOW the expected one means Redis lost
  writes the caller made (restarted from an older AOF, failed over to a lagging replica, came back
  empty): nothing is applied and `regressed` is 1, so the caller rewinds to the stored fence + 1
  instead of leaving a hole.
]]

local HEADER_BYTES = 3
local SLOT_BYTES = 15
local SLOT_FORMAT = '>BI4i4I2I4'
local RECORD_BYTES = 26
local RECORD_FORMAT = '>I6I2BI4i4I2BI4I2'
local MAX_ATTRIBUTIONS = 63
local GRID_BYTES = 21
local GRID_SLOTS = 100
local GRID_FORMAT = '>i6I3I3I5I2I2'
local LEVEL_CODES = { 't', 'f', 's', 'r' }

local fence = KEYS[1]
local tag = ARGV[1]
local lastOffset = tonumber(ARGV[2])
local fenceState = redis.call('HMGET', fence, 'offset', 'retainFrom')
local previous = tonumber(fenceState[1] or '-1')
local retainFrom = fenceState[2] or ''

local nDays = tonumber(ARGV[4])
local days = {}
for d = 1, nDays do
  local b = 4 + (d - 1) * 4
  days[d] = {
    key = ARGV[b + 1],
    date = ARGV[b + 2],
    slots = tonumber(ARGV[b + 3]),
    phase = tonumber(ARGV[b + 4]),
  }
  days[d].expired = days[d].date < retainFrom
end
local attrBase = 5 + nDays * 4
local nAttr = tonumber(ARGV[attrBase])
local texts = {}
local attrKeys = {}
for a = 1, nAttr do
  local b = attrBase + (a - 1) * 5
  texts[a] = ARGV[b + 1]
  local keys = {}
  for level = 1, 4 do
    local k = ARGV[b + 1 + level]
    keys[level] = k ~= '' and k or false
  end
  attrKeys[a] = keys
end
local blob = ARGV[attrBase + nAttr * 5 + 1]
local n = #blob / RECORD_BYTES
local expected = tonumber(ARGV[attrBase + nAttr * 5 + 2] or '')

if expected and previous < expected then
  return { 0, 0, 0, 0, previous, 0, 1 }
end

if lastOffset <= previous then
  return { 0, 0, 0, n, previous, 0, 0 }
end

-- The stored meter-day value, read once per chunk (false = no key yet); slots written by this chunk
-- are kept in day.written so later reads of the same slot see them.
local function stored(day)
  if day.raw == nil then
    day.raw = redis.call('GET', day.key)
    day.written = {}
  end
  return day.raw
end

-- Attribution table of a meter-day (parsed once per chunk): { list, index by text }.
local function attributionTable(day)
  local t = day.table
  if t then return t end
  t = { list = {}, index = {} }
  local value = stored(day)
  local raw = value and string.sub(value, HEADER_BYTES + day.slots * SLOT_BYTES + 1) or ''
  local at = 1
  while at <= #raw do
    local len = string.byte(raw, at)
    local text = string.sub(raw, at + 1, at + len)
    t.list[#t.list + 1] = text
    t.index[text] = #t.list
    at = at + 1 + len
  end
  day.table = t
  return t
end

-- Pre-pass without writes: a script error after a write would leave a half-applied chunk behind
-- (Redis does not roll scripts back), so the one possible error is raised before anything changes.
local added = {}
for r = 0, n - 1 do
  local offset, dayNo = struct.unpack('>I6I2', blob, r * RECORD_BYTES + 1)
  local attrNo = struct.unpack('>I2', blob, r * RECORD_BYTES + 25)
  if offset > previous and not days[dayNo].expired then
    local day = days[dayNo]
    local text = texts[attrNo]
    local t = attributionTable(day)
    if not t.index[text] then
      local a = added[dayNo] or { count = #t.list, seen = {} }
      added[dayNo] = a
      if not a.seen[text] then
        a.seen[text] = true
        a.count = a.count + 1
        if a.count > MAX_ATTRIBUTIONS then
          return redis.error_reply('meter-day ' .. day.key .. ' would exceed 63 grid attributions')
        end
      end
    end
  end
end

local function attributionNumber(day, text)
  local t = attributionTable(day)
  local number = t.index[text]
  if number then return number end
  redis.call('APPEND', day.key, string.char(#text) .. text)
  t.list[#t.list + 1] = text
  t.index[text] = #t.list
  return #t.list
end

-- Grid deltas of the chunk, summed per (attribution keys, window) while reading and spread over
-- the 4 levels once at the end: acc[keys][window] = { energy, meters, estimated, vsum, vmin, vmax }.
local oldKeys = {}
local acc = {}
local accOrder = {}

-- Grid keys of an attribution text on a date that the arguments do not carry (a replaced version
-- whose attribution differs from the new one's; rare).
local function keysOf(text, date)
  local id = text .. '@' .. date
  local keys = oldKeys[id]
  if keys then return keys end
  keys = {}
  local level = 1
  for part in string.gmatch(text .. '|', '([^|]*)|') do
    if level <= 4 then
      keys[level] = part ~= '' and (tag .. ':g:' .. LEVEL_CODES[level] .. ':' .. part .. ':' .. date) or false
    end
    level = level + 1
  end
  oldKeys[id] = keys
  return keys
end

local function gridAdd(keys, window, dEnergy, dMeters, dEstimated, dVoltage, voltage)
  local windows = acc[keys]
  if not windows then
    windows = {}
    acc[keys] = windows
    accOrder[#accOrder + 1] = keys
  end
  local w = windows[window]
  if not w then
    w = { 0, 0, 0, 0, false, false }
    windows[window] = w
  end
  w[1] = w[1] + dEnergy
  w[2] = w[2] + dMeters
  w[3] = w[3] + dEstimated
  w[4] = w[4] + dVoltage
  if voltage then
    if not w[5] or voltage < w[5] then w[5] = voltage end
    if not w[6] or voltage > w[6] then w[6] = voltage end
  end
end

local inserted, replaced, unchanged, replayed, expired = 0, 0, 0, 0, 0
local registered = {}
for r = 0, n - 1 do
  local offset, dayNo, slot, delay, wh, cv, est, digest, attrNo =
    struct.unpack(RECORD_FORMAT, blob, r * RECORD_BYTES + 1)
  if offset <= previous then
    replayed = replayed + 1
  elseif days[dayNo].expired then
    expired = expired + 1
  else
    local day = days[dayNo]
    local key = day.key
    local at = HEADER_BYTES + slot * SLOT_BYTES
    local value = stored(day)
    if not value then
      value = string.char(2, day.slots, day.phase) .. string.rep('\0', day.slots * SLOT_BYTES)
      redis.call('SET', key, value)
      day.raw = value
      if not registered[day.date] then
        registered[day.date] = true
        redis.call('HSETNX', KEYS[2], day.date, '1')
      end
    end
    local raw = day.written[slot] or string.sub(value, at + 1, at + SLOT_BYTES)
    local flags, oDelay, oWh, oCv, oDigest = struct.unpack(SLOT_FORMAT, raw)
    local present = flags % 2 == 1
    local wins = not present
      or delay > oDelay
      or (delay == oDelay and (wh > oWh or (wh == oWh and digest > oDigest)))
    if not wins then
      unchanged = unchanged + 1
    else
      local text = texts[attrNo]
      local keys = attrKeys[attrNo]
      local number = attributionNumber(day, text)
      local packed = struct.pack(SLOT_FORMAT, 1 + est * 2 + number * 4, delay, wh, cv, digest)
      redis.call('SETRANGE', key, at, packed)
      day.written[slot] = packed
      if not present then
        inserted = inserted + 1
        gridAdd(keys, slot, wh, 1, est, cv, cv)
      else
        replaced = replaced + 1
        local oEst = math.floor(flags / 2) % 2
        local oNumber = math.floor(flags / 4)
        if oNumber == number then
          gridAdd(keys, slot, wh - oWh, 0, est - oEst, cv - oCv, cv)
        else
          local oText = attributionTable(day).list[oNumber]
          gridAdd(keysOf(oText, day.date), slot, -oWh, -1, -oEst, -oCv, nil)
          gridAdd(keys, slot, wh, 1, est, cv, cv)
        end
      end
    end
  end
end

-- Spread the per-attribution sums over the grid keys of the 4 levels, then write each window once.
local perKey = {}
local keyOrder = {}
for _, keys in ipairs(accOrder) do
  for window, w in pairs(acc[keys]) do
    for level = 1, 4 do
      local key = keys[level]
      if key then
        local windows = perKey[key]
        if not windows then
          windows = {}
          perKey[key] = windows
          keyOrder[#keyOrder + 1] = key
        end
        local t = windows[window]
        if not t then
          windows[window] = { w[1], w[2], w[3], w[4], w[5], w[6] }
        else
          t[1] = t[1] + w[1]
          t[2] = t[2] + w[2]
          t[3] = t[3] + w[3]
          t[4] = t[4] + w[4]
          if w[5] and (not t[5] or w[5] < t[5]) then t[5] = w[5] end
          if w[6] and (not t[6] or w[6] > t[6]) then t[6] = w[6] end
        end
      end
    end
  end
end

for _, key in ipairs(keyOrder) do
  local exists = redis.call('EXISTS', key) == 1
  if not exists then
    -- Created at full length: growing it by SETRANGE would let Redis over-allocate (~50 %).
    redis.call('SET', key, string.rep('\0', GRID_SLOTS * GRID_BYTES))
  end
  for window, w in pairs(perKey[key]) do
    local at = window * GRID_BYTES
    local energy, meters, estimated, vsum, vmin, vmax = 0, 0, 0, 0, 0, 0
    if exists then
      energy, meters, estimated, vsum, vmin, vmax =
        struct.unpack(GRID_FORMAT, redis.call('GETRANGE', key, at, at + GRID_BYTES - 1))
    end
    if w[5] then
      if vmin == 0 or w[5] + 1 < vmin then vmin = w[5] + 1 end
      if w[6] + 1 > vmax then vmax = w[6] + 1 end
    end
    redis.call('SETRANGE', key, at,
      struct.pack(GRID_FORMAT, energy + w[1], meters + w[2], estimated + w[3], vsum + w[4], vmin, vmax))
  end
end

redis.call('HSET', fence, 'offset', ARGV[2])
if ARGV[3] ~= '' then
  local stored = tonumber(redis.call('HGET', fence, 'maxEventMs') or '-1')
  if tonumber(ARGV[3]) > stored then redis.call('HSET', fence, 'maxEventMs', ARGV[3]) end
end
return { inserted, replaced, unchanged, replayed, previous, expired, 0 }
