-- The cluster-wide rate ceiling (src/mattermost/create-rate-ceiling.ts): reserve the next free
-- slot, slots `interval` microseconds apart, by Redis's own clock so that workers on different
-- hosts agree. Returns how long the caller waits for its slot, in microseconds; without taking a
-- slot, minus that wait when it would exceed ARGV[2] (the caller's job is delayed instead).
-- KEYS[1] the next free slot; ARGV[1] interval in microseconds; ARGV[2] longest wait, -1 for any
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(nextFree, now)
local maxWait = tonumber(ARGV[2] or '-1')
if maxWait >= 0 and slot - now > maxWait then return tostring(now - slot) end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot + interval - now) / 1000) + 1000)
return tostring(slot - now)
