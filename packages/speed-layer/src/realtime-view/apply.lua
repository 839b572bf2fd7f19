-- Applies one chunk of valid INTERVAL reads of ONE partition of the reads topic to the realtime
-- view, exactly once (layout: layout.ts; key names: keys.ts).
--
-- KEYS[1]  fence hash of the partition: {tag}:fence  (fields offset, maxEventMs)
-- ARGV[1]  the partition's hash tag, e.g. '{rv:3}' (grid keys are built from it, same slot)
-- ARGV[2]  offset of the last message of the chunk (valid or not): the new fence
-- ARGV[3]  largest event time (interval_start, ms) among the chunk's valid reads, or ''
-- ARGV[4]  number of reads n, then 11 arguments per read:
--          offset, meter-day key, local date, interval slot, hour slot, read_ts - interval_start (ms),
--          consumption Wh, voltage cV, estimated (0/1), digest prefix (uint32), attribution 't|f|s|r'
-- Reads at or below the stored fence offset were applied before (a replay) and are skipped.
-- Returns { inserted, replaced, unchanged, replayed, previous fence offset }.

local HOURLY_OFFSET = 6
local SLOTS_OFFSET = 110
local SLOT_BYTES = 16
local TRAILER_OFFSET = 1710
local MAX_ATTRIBUTIONS = 63
local GRID_BYTES = 21
local GRID_SLOTS = 100
local LEVEL_CODES = { 't', 'f', 's', 'r' }

local fence = KEYS[1]
local tag = ARGV[1]
local lastOffset = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
local previous = tonumber(redis.call('HGET', fence, 'offset') or '-1')
if lastOffset <= previous then
  return { 0, 0, 0, n, previous }
end

local function split(text)
  local out = {}
  for part in string.gmatch(text .. '|', '([^|]*)|') do
    out[#out + 1] = part
  end
  return out
end

-- Attribution tables of the meter-days touched by this chunk: key -> { entries, index by text }.
local tables = {}
local function attributionTable(key)
  local t = tables[key]
  if t then return t end
  t = { list = {}, index = {} }
  local raw = redis.call('GETRANGE', key, TRAILER_OFFSET, -1)
  local at = 1
  while at <= #raw do
    local len = string.byte(raw, at)
    local text = string.sub(raw, at + 1, at + len)
    t.list[#t.list + 1] = text
    t.index[text] = #t.list
    at = at + 1 + len
  end
  tables[key] = t
  return t
end

local function attributionNumber(key, text)
  local t = attributionTable(key)
  local number = t.index[text]
  if number then return number end
  redis.call('APPEND', key, string.char(#text) .. text)
  t.list[#t.list + 1] = text
  t.index[text] = #t.list
  return #t.list
end

-- Adds a contribution to the window `slot` of every grid entity of attribution `text`.
local function gridAdd(text, date, slot, dEnergy, dMeters, dEstimated, dVoltage, voltage)
  local ids = split(text)
  local at = slot * GRID_BYTES
  for level = 1, 4 do
    local id = ids[level]
    if id and id ~= '' then
      local key = tag .. ':g:' .. LEVEL_CODES[level] .. ':' .. id .. ':' .. date
      local raw = redis.call('GETRANGE', key, at, at + GRID_BYTES - 1)
      local energy, meters, estimated, vsum, vmin, vmax = 0, 0, 0, 0, 0, 0
      if raw == '' then
        -- Created at full length: growing it by SETRANGE would let Redis over-allocate (~50 %).
        redis.call('SET', key, string.rep('\0', GRID_SLOTS * GRID_BYTES))
      else
        energy, meters, estimated, vsum, vmin, vmax = struct.unpack('>i6I3I3I5I2I2', raw)
      end
      energy = energy + dEnergy
      meters = meters + dMeters
      estimated = estimated + dEstimated
      vsum = vsum + dVoltage
      if voltage then
        if vmin == 0 or voltage + 1 < vmin then vmin = voltage + 1 end
        if voltage + 1 > vmax then vmax = voltage + 1 end
      end
      redis.call('SETRANGE', key, at, struct.pack('>i6I3I3I5I2I2', energy, meters, estimated, vsum, vmin, vmax))
    end
  end
end

local function addAt(key, offset, delta, format)
  local value = struct.unpack(format, redis.call('GETRANGE', key, offset, offset + (format == '>i6' and 5 or 3)))
  redis.call('SETRANGE', key, offset, struct.pack(format, value + delta))
end

-- Pre-pass without writes: a script error after a write would leave a half-applied chunk behind
-- (Redis does not roll scripts back), so the one possible error is raised before anything changes.
local added = {}
for r = 0, n - 1 do
  local b = 4 + r * 11
  if tonumber(ARGV[b + 1]) > previous then
    local key, text = ARGV[b + 2], ARGV[b + 11]
    local t = attributionTable(key)
    if not t.index[text] then
      local a = added[key] or { count = #t.list, seen = {} }
      added[key] = a
      if not a.seen[text] then
        a.seen[text] = true
        a.count = a.count + 1
        if a.count > MAX_ATTRIBUTIONS then
          return redis.error_reply('meter-day ' .. key .. ' would exceed 63 grid attributions')
        end
      end
    end
  end
end

local inserted, replaced, unchanged, replayed = 0, 0, 0, 0
for r = 0, n - 1 do
  local b = 4 + r * 11
  if tonumber(ARGV[b + 1]) <= previous then
    replayed = replayed + 1
  else
    local key = ARGV[b + 2]
    local date = ARGV[b + 3]
    local slot = tonumber(ARGV[b + 4])
    local hour = tonumber(ARGV[b + 5])
    local delay = tonumber(ARGV[b + 6])
    local wh = tonumber(ARGV[b + 7])
    local cv = tonumber(ARGV[b + 8])
    local est = tonumber(ARGV[b + 9])
    local digest = tonumber(ARGV[b + 10])
    local attribution = ARGV[b + 11]
    local at = SLOTS_OFFSET + slot * SLOT_BYTES
    local raw = redis.call('GETRANGE', key, at, at + SLOT_BYTES - 1)
    if raw == '' then
      redis.call('SET', key, string.rep('\0', TRAILER_OFFSET))
      raw = string.rep('\0', SLOT_BYTES)
    end
    local flags, oDelay, oWh, oCv, oDigest = struct.unpack('>BI5i4I2I4', raw)
    local present = flags % 2 == 1
    local wins = not present
      or delay > oDelay
      or (delay == oDelay and (wh > oWh or (wh == oWh and digest > oDigest)))
    if not wins then
      unchanged = unchanged + 1
    else
      local number = attributionNumber(key, attribution)
      redis.call('SETRANGE', key, at,
        struct.pack('>BI5i4I2I4', 1 + est * 2 + number * 4, delay, wh, cv, digest))
      local oEst = math.floor(flags / 2) % 2
      local oNumber = math.floor(flags / 4)
      local dWh = present and (wh - oWh) or wh
      addAt(key, 0, dWh, '>i6')
      addAt(key, HOURLY_OFFSET + hour * 4, dWh, '>i4')
      if not present then
        inserted = inserted + 1
        gridAdd(attribution, date, slot, wh, 1, est, cv, cv)
      else
        replaced = replaced + 1
        if oNumber == number then
          gridAdd(attribution, date, slot, wh - oWh, 0, est - oEst, cv - oCv, cv)
        else
          local oText = attributionTable(key).list[oNumber]
          gridAdd(oText, date, slot, -oWh, -1, -oEst, -oCv, nil)
          gridAdd(attribution, date, slot, wh, 1, est, cv, cv)
        end
      end
    end
  end
end

redis.call('HSET', fence, 'offset', ARGV[2])
if ARGV[3] ~= '' then
  local stored = tonumber(redis.call('HGET', fence, 'maxEventMs') or '-1')
  if tonumber(ARGV[3]) > stored then redis.call('HSET', fence, 'maxEventMs', ARGV[3]) end
end
return { inserted, replaced, unchanged, replayed, previous }
